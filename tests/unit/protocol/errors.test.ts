/** One error base (common/errors.ts) and one table to protocol codes (main/classroom/errors.ts). */
import { describe, expect, it } from 'vitest';
import { CodedError } from '../../../common/errors.ts';
import { KetangError } from '../../../common/protocol.ts';
import { protocolError } from '../../../main/classroom/errors.ts';
import { BundleError } from '../../../main/base/bundle-format.ts';
import { SignInError } from '../../../main/identity/identity.ts';
import { SfuError } from '../../../main/media/sfu.ts';
import { SyncError } from '../../../main/sync/adapter.ts';
import { StoreError } from '../../../main/store/database.ts';
import { KeyError } from '../../../main/base/crypto/keys.ts';

describe('errors', () => {
  it('every error Ketang throws on purpose is a CodedError with its own name', () => {
    const errs = [new KetangError('CONFLICT', 'x'), new BundleError('TAMPERED', 'x'), new SignInError('LOCKED', 'x', 'later'), new SfuError('closed', 'x'), new SyncError('NETWORK', 'x'), new StoreError('CORRUPT', 'f', 'x'), new KeyError('WRONG_KEY', 'x')];
    for (const e of errs) expect(e).toBeInstanceOf(CodedError);
    expect(errs.map((e) => e.name)).toEqual(['KetangError', 'BundleError', 'SignInError', 'SfuError', 'SyncError', 'StoreError', 'KeyError']);
    expect((errs[2] as SignInError).retryAt).toBe('later');
    expect((errs[4] as SyncError).retryable).toBe(true);
  });

  it('maps domain errors to protocol codes, keeping their message', () => {
    expect(protocolError(new KetangError('NOT_FOUND', 'no lesson'))).toEqual({ code: 'NOT_FOUND', message: 'no lesson' });
    expect(protocolError(new BundleError('UNKNOWN_SIGNER', 'who signed this?'))).toEqual({ code: 'CONFLICT', message: 'who signed this?' });
    expect(protocolError(new SignInError('SIGNED_OUT', 'sign in'))?.code).toBe('UNAUTHENTICATED');
    expect(protocolError(new SignInError('LOCKED', 'wait'))?.code).toBe('FORBIDDEN');
    expect(protocolError(new SfuError('not_found', 'gone'))?.code).toBe('NOT_FOUND');
    expect(protocolError(new SfuError('closed', 'closed'))?.code).toBe('CONFLICT');
    expect(protocolError(new SyncError('UNAUTHENTICATED', 'token'))?.code).toBe('UNAUTHENTICATED');
  });

  it('anything else is a bug (INTERNAL at the caller), not a refusal', () => {
    expect(protocolError(new Error('boom'))).toBeNull();
    expect(protocolError(new StoreError('CORRUPT', 'f', 'disk'))).toBeNull();
    expect(protocolError(new KeyError('WRONG_KEY', 'key'))).toBeNull();
    expect(protocolError('a string')).toBeNull();
  });
});
