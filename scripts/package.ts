/**
 * `npm run package` and `npm run deploy`: bundle the functions (scripts/package-bundles.ts),
 * then run the pinned Serverless Framework CLI (osls) on serverless.yml.
 *
 *   tsx scripts/package.ts package [serverless options...]   offline, dummy credentials
 *   tsx scripts/package.ts deploy  [serverless options...]   needs real AWS credentials
 *   tsx scripts/package.ts bundle                            the zips only (for another CLI, e.g. Serverless v4)
 *
 * After `package`, `.serverless/` holds the CloudFormation template and one zip per function.
 */
import { spawn } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleAll } from './package-bundles';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function runServerless(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'node_modules', 'osls', 'bin', 'serverless.js'), ...args], {
      cwd: root,
      env,
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`serverless ${args[0]} failed (${signal ?? `exit code ${code}`})`))));
  });
}

async function main(): Promise<void> {
  const [command, ...options] = process.argv.slice(2);
  if (command !== 'package' && command !== 'deploy' && command !== 'bundle') {
    process.stderr.write('usage: tsx scripts/package.ts package|deploy|bundle [serverless options...]\n');
    process.exitCode = 2;
    return;
  }
  const bundles = await bundleAll(root);
  for (const bundle of bundles) {
    process.stdout.write(
      `bundle ${bundle.name}: cold start loads ${bundle.coldStartBytes} B of JavaScript, all chunks ${bundle.jsBytes} B, zip ${bundle.zipBytes} B\n`,
    );
  }
  if (command === 'bundle') return;
  if (command === 'package') {
    // Packaging never calls AWS; placeholder credentials keep the CLI from looking for real ones.
    await runServerless(['package', ...options], {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'offline',
      AWS_SECRET_ACCESS_KEY: 'offline',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
    });
    // The framework leaves prebuilt artifacts where they are; put a copy next to the template.
    for (const bundle of bundles) await copyFile(bundle.zipPath, join(root, '.serverless', basename(bundle.zipPath)));
  } else {
    await runServerless(['deploy', ...options], process.env);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
