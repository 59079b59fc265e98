/**
 * Just enough Markdown reading for the documentation checks: headings and their anchors as
 * GitHub renders them, relative links, and the lines outside code fences.
 */

/** A line of a Markdown file outside fenced code blocks, with its 1-based number. */
export interface ProseLine {
  number: number;
  text: string;
}

/** The lines outside fenced code blocks (``` fences), which are the ones Markdown renders as text. */
export function proseLines(markdown: string): ProseLine[] {
  const lines: ProseLine[] = [];
  let fenced = false;
  markdown.split('\n').forEach((text, index) => {
    if (/^\s*```/.test(text)) fenced = !fenced;
    else if (!fenced) lines.push({ number: index + 1, text });
  });
  return lines;
}

/**
 * The anchor GitHub gives a heading: its text as rendered (code spans and links reduced to their
 * text), lower-cased, without punctuation other than `-` and `_`, each space a `-`.
 */
export function headingSlug(heading: string): string {
  const rendered = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor of a file's headings; a repeated heading gets `-1`, `-2`, ... as on GitHub. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const { text } of proseLines(markdown)) {
    const match = /^#{1,6} (.+?)\s*#*\s*$/.exec(text);
    if (match === null) continue;
    const slug = headingSlug(match[1] as string);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** A link's target as written, split into the file part (empty for the same file) and the anchor. */
export interface LinkTarget {
  line: number;
  file: string;
  anchor?: string;
}

/** Relative links `[text](target)` outside code fences and code spans (absolute URLs are left out). */
export function relativeLinks(markdown: string): LinkTarget[] {
  const links: LinkTarget[] = [];
  for (const { number, text } of proseLines(markdown)) {
    const withoutCode = text.replace(/`[^`]*`/g, '');
    for (const match of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1] as string;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const hash = target.indexOf('#');
      links.push(hash === -1 ? { line: number, file: target } : { line: number, file: target.slice(0, hash), anchor: target.slice(hash + 1) });
    }
  }
  return links;
}
