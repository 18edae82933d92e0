/**
 * The console's import flow knows every refusal the importer can give: each
 * IMPORT_* code reaches the panel as itself (not as INTERNAL, "the hub ran
 * into an error") and has words in Chinese and English. The list below must
 * name every ImportErrorCode (`satisfies`), so a new code on the hub fails
 * the type check here until the console words it.
 */
import { describe, expect, it } from 'vitest';
import type { ImportErrorCode } from '../../../main/courseware/import.ts';
import { en } from '../../../renderer/src/i18n/en.ts';
import { zhCN, type MessageKey } from '../../../renderer/src/i18n/zh-CN.ts';
import { ACCEPT, isPasswordError, readUploadReply, UploadError } from '../../../renderer/src/features/lesson/engine/uploadReply.ts';

const CODES = Object.keys({
  NOT_FOUND: 1,
  EMPTY: 1,
  TOO_LARGE: 1,
  UNSUPPORTED: 1,
  EXTENSION_MISMATCH: 1,
  CORRUPT: 1,
  NOT_OFFICE: 1,
  TOO_LARGE_UNPACKED: 1,
  TOO_MANY_PAGES: 1,
  PASSWORD_REQUIRED: 1,
  PASSWORD_WRONG: 1,
  PASSWORD_UNSUPPORTED: 1,
  NEEDS_LIBREOFFICE: 1,
  CONVERSION_FAILED: 1,
  TIMEOUT: 1,
} satisfies Record<ImportErrorCode, 1>) as ImportErrorCode[];

function refusal(code: string): UploadError {
  try {
    readUploadReply(422, JSON.stringify({ ok: false, error: { code, message: 'converter said something' } }));
  } catch (err) {
    return err as UploadError;
  }
  throw new Error('no refusal');
}

describe('import refusals in the console', () => {
  it.each(CODES)('IMPORT_%s reaches the panel as itself, worded in zh-CN and en', (code) => {
    const err = refusal(`IMPORT_${code}`);
    expect(err).toBeInstanceOf(UploadError);
    expect(err.code).toBe(`IMPORT_${code}`);
    const key = `import.error.IMPORT_${code}` as MessageKey;
    expect(zhCN[key]).toMatch(/[\u4e00-\u9fff]/);
    expect(en[key]).toMatch(/^[A-Z]/);
    // 课堂 inside Chinese sentences, never the Latin name.
    expect(zhCN[key]).not.toContain('Ketang');
  });

  it('an unknown code is INTERNAL; only REQUIRED and WRONG ask for a password', () => {
    expect(refusal('IMPORT_SOMETHING_NEW').code).toBe('INTERNAL');
    expect(CODES.filter((c) => isPasswordError(`IMPORT_${c}`))).toEqual(['PASSWORD_REQUIRED', 'PASSWORD_WRONG']);
  });

  it('the picker offers WPS, OpenDocument and every PowerPoint/Word/Excel variant', () => {
    const offered = new Set(ACCEPT.split(','));
    const wanted = '.pdf,.pptx,.ppt,.docx,.doc,.ppsx,.pps,.pptm,.potx,.pot,.dps,.dpt,.odp,.wps,.wpt,.odt,.docm,.dot,.dotx,.xlsx,.xlsm,.xls,.et,.ett,.ods'.split(',');
    expect(wanted.filter((ext) => !offered.has(ext))).toEqual([]);
  });
});
