/**
 * The Python tools that check the packaged CloudFormation template (cfn-lint, checkov),
 * installed on first use into the project's `.venv/` at pinned versions and reused after,
 * the way the broker's jars are fetched: `npm ci && npm test` needs nothing else.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The project root. */
const ROOT = join(import.meta.dirname, '..', '..');

/** The virtualenv the tools live in. */
const VENV_DIR = join(ROOT, '.venv');

/**
 * What is installed, pinned: a new pin here reinstalls on the next run. Newer versions add
 * checks, so an unpinned install could turn the suite red on a day nothing here changed.
 */
const TEMPLATE_TOOL_REQUIREMENTS = ['cfn-lint==1.58.0', 'checkov==3.3.30'] as const;

/** The tools the deploy tests run. */
export type TemplateTool = 'cfn-lint' | 'checkov';

// Written last, after pip succeeded: an interrupted install is not mistaken for a finished one.
const MARKER = join(VENV_DIR, '.template-tools');

/** Path of a tool inside the project's `.venv/`. */
export function templateToolPath(name: TemplateTool): string {
  return join(VENV_DIR, 'bin', name);
}

async function installedRequirements(): Promise<string | undefined> {
  try {
    return await readFile(MARKER, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pinned requirements as the marker file records them. */
function markerText(): string {
  return `${TEMPLATE_TOOL_REQUIREMENTS.join('\n')}\n`;
}

/**
 * Makes sure cfn-lint and checkov are installed in `.venv/` at the pinned versions,
 * creating the virtualenv and installing them with pip when they are not (first run only).
 *
 * @param log - told when an install starts, since it takes a minute or two.
 * @throws Error naming what to install when Python 3 or its venv module is missing, or with
 *   pip's output when the install fails: a missing tool is never a silently skipped check.
 */
export async function ensureTemplateTools(log: (message: string) => void = () => undefined): Promise<void> {
  const wanted = markerText();
  if ((await installedRequirements()) === wanted && (['cfn-lint', 'checkov'] as const).every((tool) => existsSync(templateToolPath(tool)))) {
    return;
  }
  log(`installing ${TEMPLATE_TOOL_REQUIREMENTS.join(', ')} into .venv/ (first run only)`);
  await rm(MARKER, { force: true });
  try {
    await execFileAsync('python3', ['-m', 'venv', VENV_DIR], { cwd: ROOT });
  } catch (error) {
    throw new Error(
      'the template checks need Python 3 with its venv module (Debian/Ubuntu: apt-get install python3-venv); ' +
        `creating .venv/ failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    await execFileAsync(join(VENV_DIR, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...TEMPLATE_TOOL_REQUIREMENTS], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`installing ${TEMPLATE_TOOL_REQUIREMENTS.join(' ')} into .venv/ failed:\n${stderr ?? (error as Error).message}`, {
      cause: error,
    });
  }
  await writeFile(MARKER, wanted);
}
