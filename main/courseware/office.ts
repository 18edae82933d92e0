/**
 * PowerPoint and Word to PDF through LibreOffice in headless mode, when it is
 * installed. Each conversion gets its own LibreOffice profile: two `soffice`
 * processes sharing one profile make the second exit silently with code 1.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATES =
  process.platform === 'win32'
    ? ['C:\\Program Files\\LibreOffice\\program\\soffice.exe', 'C:\\Program Files (x86)\\LibreOffice\\program\\soffice.exe']
    : process.platform === 'darwin'
      ? ['/Applications/LibreOffice.app/Contents/MacOS/soffice']
      : [];

export const LIBREOFFICE_HINT =
  process.platform === 'win32' || process.platform === 'darwin'
    ? 'Install LibreOffice (libreoffice.org), then import the file again, or save it as PDF from PowerPoint/Word.'
    : 'Install LibreOffice (Debian/UOS/Kylin: `sudo apt-get install libreoffice-impress-nogui libreoffice-writer-nogui fonts-wqy-microhei`), then import the file again, or save it as PDF first.';

/** The soffice binary: KETANG_SOFFICE, then PATH, then the usual install folders. */
export function findSoffice(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.KETANG_SOFFICE) return fs.existsSync(env.KETANG_SOFFICE) ? env.KETANG_SOFFICE : null;
  const names = process.platform === 'win32' ? ['soffice.exe'] : ['soffice', 'libreoffice'];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    for (const n of names) {
      const p = path.join(dir, n);
      if (dir && fs.existsSync(p)) return p;
    }
  }
  return CANDIDATES.find((p) => fs.existsSync(p)) ?? null;
}

/** Convert `input` to PDF; resolves with the PDF's path inside a fresh temp folder the caller removes. */
export async function convertToPdf(soffice: string, input: string, opts: { timeoutMs?: number } = {}): Promise<{ pdf: string; workDir: string }> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-convert-'));
  const profile = pathToFileURL(path.join(workDir, 'profile')).href;
  const outDir = path.join(workDir, 'out');
  fs.mkdirSync(outDir);
  // A plain ASCII name keeps LibreOffice away from locale trouble with Chinese file names.
  const source = path.join(workDir, `source${path.extname(input).toLowerCase()}`);
  fs.copyFileSync(input, source);
  const args = ['--headless', '--norestore', '--nolockcheck', '--nodefault', `-env:UserInstallation=${profile}`, '--convert-to', 'pdf', '--outdir', outDir, source];
  const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(soffice, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`LibreOffice did not finish within ${(opts.timeoutMs ?? 120_000) / 1000} s`));
    }, opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
  const pdf = path.join(outDir, 'source.pdf');
  if (result.code !== 0 || !fs.existsSync(pdf)) {
    fs.rmSync(workDir, { recursive: true, force: true });
    throw new Error(`LibreOffice could not convert the file (exit ${result.code}): ${result.output.trim().slice(-300) || 'no output'}`);
  }
  return { pdf, workDir };
}
