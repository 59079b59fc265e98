/**
 * Runs the real packaging step (`npm run package`'s script) and the framework CLI for other
 * parameter sets, and reads what they produce: the CloudFormation template and the zips.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The project root. */
export const ROOT = join(import.meta.dirname, '..', '..', '..');

/** A CloudFormation resource, loosely typed for assertions. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, any>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** A CloudFormation template. */
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
}

/** A finished child process. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing its output. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = ROOT): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Bundle figures as `scripts/package.ts` prints them. */
export interface BundleFigures {
  coldStartBytes: number;
  allChunksBytes: number;
  zipBytes: number;
}

/** Result of `npm run package`'s script. */
export interface PackageResult {
  template: CfnTemplate;
  templatePath: string;
  /** A copy of `.serverless/` (the framework clears that directory whenever it packages again). */
  outDir: string;
  bundles: Record<string, BundleFigures>;
  durationMs: number;
}

/** Runs `tsx scripts/package.ts package`, as `npm run package` does, and copies its output to `copyTo`. */
export async function packageStack(copyTo: string): Promise<PackageResult> {
  const startedMs = Date.now();
  const result = await run(process.execPath, ['--import', 'tsx', 'scripts/package.ts', 'package']);
  if (result.code !== 0) throw new Error(`npm run package failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  const bundles: Record<string, BundleFigures> = {};
  for (const match of result.stdout.matchAll(/^bundle (\w+): cold start loads (\d+) B of JavaScript, all chunks (\d+) B, zip (\d+) B$/gm)) {
    bundles[match[1]!] = { coldStartBytes: Number(match[2]), allChunksBytes: Number(match[3]), zipBytes: Number(match[4]) };
  }
  await cp(join(ROOT, '.serverless'), copyTo, { recursive: true });
  const templatePath = join(copyTo, 'cloudformation-template-update-stack.json');
  return { template: await readTemplate(templatePath), templatePath, outDir: copyTo, bundles, durationMs: Date.now() - startedMs };
}

async function readTemplate(path: string): Promise<CfnTemplate> {
  return JSON.parse(await readFile(path, 'utf8')) as CfnTemplate;
}

/**
 * Packages the service again with other options (`--stage`, `--param`) into `outDir`,
 * reusing the bundles the first packaging built.
 */
export async function packageVariant(outDir: string, options: string[], cwd = ROOT): Promise<{ template: CfnTemplate; templatePath: string }> {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'offline', AWS_SECRET_ACCESS_KEY: 'offline', AWS_SESSION_TOKEN: '', AWS_PROFILE: '' };
  const cli = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
  const result = await run(process.execPath, [cli, 'package', '--package', outDir, ...options], env, cwd);
  if (result.code !== 0) throw new Error(`serverless package ${options.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  const templatePath = join(outDir, 'cloudformation-template-update-stack.json');
  return { template: await readTemplate(templatePath), templatePath };
}

/** Every IAM policy statement of every role in the template, with the role's logical id. */
export function iamStatements(template: CfnTemplate): { role: string; statement: Record<string, any> }[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
    .flatMap(([role, resource]) =>
      (resource.Properties?.Policies ?? []).flatMap((policy: any) =>
        (policy.PolicyDocument.Statement as Record<string, any>[]).map((statement) => ({ role, statement })),
      ),
    );
}

/** A statement's actions or resources as a list. */
export function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Packages a copy of the service whose deploy/event-source.json has `eventSource` merged in
 * (the settings are a file, not params), reusing the bundles the first packaging built.
 * `workDir` receives the copy; the template goes to `outDir`.
 */
export async function packageWithEventSource(
  workDir: string,
  outDir: string,
  eventSource: Record<string, unknown>,
  options: string[] = [],
): Promise<{ template: CfnTemplate; templatePath: string }> {
  await mkdir(join(workDir, 'scripts'), { recursive: true });
  await cp(join(ROOT, 'serverless.yml'), join(workDir, 'serverless.yml'));
  await cp(join(ROOT, 'deploy'), join(workDir, 'deploy'), { recursive: true });
  await cp(join(ROOT, 'scripts', 'package-variables.cjs'), join(workDir, 'scripts', 'package-variables.cjs'));
  // Required by package-variables.cjs.
  await cp(join(ROOT, 'scripts', 'schema-registry-params.cjs'), join(workDir, 'scripts', 'schema-registry-params.cjs'));
  await cp(join(ROOT, '.esbuild'), join(workDir, '.esbuild'), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(workDir, 'node_modules'));
  const settings = JSON.parse(await readFile(join(ROOT, 'deploy', 'event-source.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(workDir, 'deploy', 'event-source.json'), JSON.stringify({ ...settings, ...eventSource }, null, 2));
  return packageVariant(outDir, options, workDir);
}
