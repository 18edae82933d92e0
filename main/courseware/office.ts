/**
 * Office files to PDF through LibreOffice in headless mode, when it is
 * installed. One conversion at a time (a queue): a board PC has little memory
 * and two soffice processes only slow each other down.
 *
 * soffice runs a small Basic macro instead of `--convert-to`, for three
 * reasons: `--convert-to` has no way to give a password to open a file; it
 * exits 0 whether or not it wrote anything, so a failure could only be told
 * from its console noise (which must never reach a teacher); and it cannot
 * say how many slides a deck has before spending minutes exporting 2,000 of
 * them. The macro reports each stage to a status file instead. The password
 * travels in the soffice process's environment only (not its command line,
 * which other users can list, and never a file).
 *
 * Each conversion gets its own LibreOffice profile (two soffice processes
 * sharing one make the second exit silently), copied from a template made
 * once per process: a first start overwrites the profile's Basic library,
 * so the macro is written after it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CodedError } from '../../common/errors.ts';

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

/** How long one conversion may take before soffice is killed: KETANG_CONVERT_TIMEOUT_S, else 3 minutes (a 60-slide deck takes ~4 s). */
export function defaultConvertTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.KETANG_CONVERT_TIMEOUT_S);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 180_000;
}

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

/**
 * Why a conversion failed, for the importer to word. Never carries soffice's
 * own output: that goes to `log` at most.
 *  - load: LibreOffice could not open the file (damaged, or a format it cannot read)
 *  - password: the file needs a password and none was given or it was wrong
 *  - kind: it opened as something that is not a presentation, text or sheet
 *  - export: it opened but writing the PDF failed
 *  - too-many-pages: more pages than allowed; nothing was exported
 *  - timeout: soffice was killed after the time limit
 *  - no-output: soffice ended without a word (crashed, or not a working LibreOffice)
 *  - spawn: soffice could not be started
 */
export type ConvertFailure = 'load' | 'password' | 'kind' | 'export' | 'too-many-pages' | 'timeout' | 'no-output' | 'spawn';

export class ConvertError extends CodedError<ConvertFailure> {
  override readonly name = 'ConvertError';
  readonly pages?: number;
  /** soffice's console output, for the log only. */
  readonly output: string;
  constructor(reason: ConvertFailure, message: string, extra: { pages?: number; output?: string } = {}) {
    super(reason, message);
    if (extra.pages !== undefined) this.pages = extra.pages;
    this.output = extra.output ?? '';
  }

  /** Why the conversion failed (the error's code). */
  get reason(): ConvertFailure {
    return this.code;
  }
}

export interface ConvertOptions {
  timeoutMs?: number;
  /** Opens an encrypted file; passed in soffice's environment only. */
  password?: string;
  /** Refuse (before exporting) a document with more pages than this, when LibreOffice counts them (slides). */
  maxPages?: number;
  /** The extension soffice sees; defaults to the input's. */
  convertAs?: string;
  /** Called once LibreOffice has opened the file and counted its slides. */
  onLoaded?: (pages: number | undefined) => void;
}

// The macro. ReadOnly + MacroExecutionMode 0 (never run the document's own macros) +
// UpdateDocMode 0 (never fetch links): a courseware file must not do anything on the board PC.
const BASIC = `Sub Report(sFile As String, sText As String)
  n = FreeFile
  Open sFile For Output As #n
  Print #n, sText
  Close #n
End Sub
Sub ToPdf(sIn As String, sOut As String, sStatus As String, nMax As Long)
  Dim stage As String
  Dim oDoc As Object
  stage = "load"
  On Error GoTo Failed
  Dim load(4) As New com.sun.star.beans.PropertyValue
  load(0).Name = "Hidden" : load(0).Value = True
  load(1).Name = "ReadOnly" : load(1).Value = True
  load(2).Name = "MacroExecutionMode" : load(2).Value = 0
  load(3).Name = "UpdateDocMode" : load(3).Value = 0
  load(4).Name = "Password" : load(4).Value = Environ("KETANG_DOC_PASSWORD")
  oDoc = StarDesktop.loadComponentFromURL(ConvertToURL(sIn), "_blank", 0, load())
  If IsNull(oDoc) Then GoTo Failed
  Dim pages As Long
  pages = -1
  Dim filter As String
  If oDoc.supportsService("com.sun.star.presentation.PresentationDocument") Then
    filter = "impress_pdf_Export" : pages = oDoc.getDrawPages().getCount()
  ElseIf oDoc.supportsService("com.sun.star.drawing.DrawingDocument") Then
    filter = "draw_pdf_Export" : pages = oDoc.getDrawPages().getCount()
  ElseIf oDoc.supportsService("com.sun.star.text.TextDocument") Then
    filter = "writer_pdf_Export"
  ElseIf oDoc.supportsService("com.sun.star.sheet.SpreadsheetDocument") Then
    filter = "calc_pdf_Export"
  Else
    stage = "kind" : GoTo Failed
  End If
  If nMax > 0 And pages > nMax Then
    Report(sStatus, "too-many-pages " & pages)
    oDoc.close(True)
    StarDesktop.terminate()
    Exit Sub
  End If
  Report(sStatus, "loaded " & pages)
  stage = "export"
  Dim save(0) As New com.sun.star.beans.PropertyValue
  save(0).Name = "FilterName" : save(0).Value = filter
  oDoc.storeToURL(ConvertToURL(sOut), save())
  oDoc.close(True)
  Report(sStatus, "done " & pages)
  StarDesktop.terminate()
  Exit Sub
Failed:
  Report(sStatus, "failed " & stage)
  StarDesktop.terminate()
End Sub
`;
const escapeXml = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const MACRO = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">${escapeXml(BASIC)}</script:module>
`;

/** Kill soffice and what it started (oosplash → soffice.bin): killing the first alone leaves the second running. */
function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === 'win32') spawnSync('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore' });
    else process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** Run soffice with `args`; resolves when it ends, rejects with a ConvertError on timeout or spawn failure. */
function runSoffice(soffice: string, args: string[], opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout kills the whole tree.
    const child = spawn(soffice, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32', env: opts.env ?? process.env, windowsHide: true });
    let output = '';
    const keep = (d: Buffer): void => {
      output = (output + d.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      killTree(child);
      reject(new ConvertError('timeout', `LibreOffice did not finish within ${Math.round(opts.timeoutMs / 1000)} s and was stopped`, { output }));
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(new ConvertError('spawn', `LibreOffice could not be started (${(err as NodeJS.ErrnoException).code ?? err.message})`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      resolve({ code, output });
    });
  });
}

const templates = new Map<string, Promise<string>>();

/** A LibreOffice profile with the macro, made once per soffice per process; removed at exit. */
function profileTemplate(soffice: string, timeoutMs: number): Promise<string> {
  let t = templates.get(soffice);
  if (!t) {
    t = (async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-lo-template-'));
      process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      const profile = pathToFileURL(path.join(dir, 'profile')).href;
      await runSoffice(soffice, ['--headless', '--norestore', '--nolockcheck', '--terminate_after_init', `-env:UserInstallation=${profile}`], { timeoutMs });
      const basic = path.join(dir, 'profile', 'user', 'basic', 'Standard');
      if (!fs.existsSync(path.join(basic, 'script.xlb'))) throw new ConvertError('no-output', 'LibreOffice did not create its profile (not a working LibreOffice?)');
      // The first start installed the default Standard library, whose Module1 this replaces.
      fs.writeFileSync(path.join(basic, 'Module1.xba'), MACRO);
      return path.join(dir, 'profile');
    })();
    templates.set(soffice, t);
    // A failed start (a hung or broken soffice) is tried again next time, not remembered.
    t.catch(() => templates.delete(soffice));
  }
  return t;
}

/** Convert `input` to PDF; resolves with the PDF's path inside a fresh temp folder the caller removes. */
export async function convertToPdf(soffice: string, input: string, opts: ConvertOptions = {}): Promise<{ pdf: string; workDir: string; pages?: number }> {
  const timeoutMs = opts.timeoutMs ?? defaultConvertTimeoutMs();
  const started = Date.now();
  const template = await profileTemplate(soffice, timeoutMs);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketang-convert-'));
  try {
    const profileDir = path.join(workDir, 'profile');
    fs.cpSync(template, profileDir, { recursive: true });
    // A plain ASCII name keeps LibreOffice away from locale trouble with Chinese file names.
    const source = path.join(workDir, `source${(opts.convertAs ?? path.extname(input)).toLowerCase()}`);
    fs.copyFileSync(input, source);
    const pdf = path.join(workDir, 'source.pdf');
    const status = path.join(workDir, 'status.txt');
    const q = (s: string): string => `"${s.replaceAll('"', '""')}"`;
    const macro = `macro:///Standard.Module1.ToPdf(${q(source)},${q(pdf)},${q(status)},${Math.max(0, Math.floor(opts.maxPages ?? 0))})`;
    const env: NodeJS.ProcessEnv = { ...process.env, KETANG_DOC_PASSWORD: opts.password ?? '' };
    const remaining = Math.max(1000, timeoutMs - (Date.now() - started));
    let onLoadedCalled = false;
    const watch = opts.onLoaded
      ? setInterval(() => {
          const s = readStatus(status);
          if (!onLoadedCalled && s?.stage === 'loaded') {
            onLoadedCalled = true;
            opts.onLoaded!(s.pages);
          }
        }, 250)
      : undefined;
    let result: { code: number | null; output: string };
    try {
      result = await runSoffice(soffice, ['--headless', '--norestore', '--nolockcheck', `-env:UserInstallation=${pathToFileURL(profileDir).href}`, macro], { timeoutMs: remaining, env });
    } finally {
      if (watch) clearInterval(watch);
    }
    const s = readStatus(status);
    if (s?.stage === 'done' && fs.existsSync(pdf)) return { pdf, workDir, ...(s.pages !== undefined ? { pages: s.pages } : {}) };
    const output = result.output;
    if (!s) throw new ConvertError('no-output', `LibreOffice ended (exit ${result.code}) without converting the file`, { output });
    if (s.stage === 'too-many-pages') throw new ConvertError('too-many-pages', `the file has ${s.pages} pages`, { ...(s.pages !== undefined ? { pages: s.pages } : {}), output });
    if (s.stage === 'failed load') throw new ConvertError(opts.password ? 'password' : 'load', 'LibreOffice could not open the file', { output });
    if (s.stage === 'failed kind') throw new ConvertError('kind', 'LibreOffice opened the file as something other than a presentation, text or spreadsheet', { output });
    throw new ConvertError('export', 'LibreOffice opened the file but could not write the PDF', { output });
  } catch (err) {
    fs.rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}

function readStatus(file: string): { stage: string; pages?: number } | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
  const m = /^(done|loaded|too-many-pages|failed \w+)(?: (-?\d+))?/.exec(text);
  if (!m) return null;
  const n = m[2] === undefined ? undefined : Number(m[2]);
  return { stage: m[1]!, ...(n !== undefined && n >= 0 ? { pages: n } : {}) };
}

/**
 * One conversion at a time, in arrival order. `onPosition` hears how many
 * conversions are ahead (0 = starting now) so the UI can say 排队中.
 */
export class ConversionQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private readonly listeners = new Set<() => void>();

  get pending(): number {
    return this.waiting;
  }

  run<T>(job: () => Promise<T>, onPosition?: (ahead: number) => void): Promise<T> {
    const ahead = this.waiting;
    this.waiting++;
    onPosition?.(ahead);
    // Tell the ones still waiting that they moved up when an earlier job ends.
    let myTurn = false;
    let position = ahead;
    const moved = (): void => {
      if (!myTurn && position > 0) onPosition?.(--position);
    };
    this.listeners.add(moved);
    const result = this.tail.then(async () => {
      myTurn = true;
      this.listeners.delete(moved);
      try {
        return await job();
      } finally {
        this.waiting--;
        for (const l of [...this.listeners]) l();
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** The queue every import shares. */
export const officeQueue = new ConversionQueue();

