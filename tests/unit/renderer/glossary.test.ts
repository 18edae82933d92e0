/**
 * One word per concept (issue 18, item 11): the message files follow
 * docs/glossary.md. No "Ketang" inside a Chinese sentence (课堂 instead), no
 * 请刷新 where the app recovers by itself (a disconnect) or where reloading
 * cannot help (点名 with no tablets), 同步 only for 数据同步 (and the fixed
 * name 同步答题), one name for the board-follow state, and none of the
 * glossary's forbidden variants anywhere in zh-CN.ts or en.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { en } from '../../../renderer/src/i18n/en.ts';
import { zhCN, type MessageKey } from '../../../renderer/src/i18n/zh-CN.ts';

const glossary = readFileSync(new URL('../../../docs/glossary.md', import.meta.url), 'utf8');
const zh = Object.entries(zhCN) as [MessageKey, string][];
const english = Object.entries(en) as [MessageKey, string][];
const CJK = /[\u3400-\u9fff]/;

/** The `wrong → right` lines of the glossary's ```forbidden block. */
function forbidden(): { wrong: string; right: string }[] {
  const block = /```forbidden\n([\s\S]*?)```/.exec(glossary);
  if (!block) throw new Error('docs/glossary.md has no ```forbidden block');
  return block[1]!
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [wrong, right] = l.split('→').map((s) => s.trim());
      return { wrong: wrong!, right: right ?? '' };
    });
}

describe('message files follow docs/glossary.md', () => {
  it('no "Ketang" inside a Chinese message (课堂 instead)', () => {
    const bad = zh.filter(([, v]) => CJK.test(v) && /ketang/i.test(v)).map(([k, v]) => `${k}: ${v}`);
    expect(bad).toEqual([]);
  });

  it('a disconnect and 点名 with no tablets never say 请刷新', () => {
    // The hub refuses 点名 with nobody to pick as CONFLICT; the console shows error.CONFLICT.
    const keys: MessageKey[] = ['error.DISCONNECTED', 'error.CONFLICT', 'link.reconnecting', ...zh.map(([k]) => k).filter((k) => k.startsWith('pick.'))];
    for (const k of keys) {
      expect(zhCN[k], k).not.toMatch(/刷新/);
      expect(en[k], k).not.toMatch(/reload|refresh/i);
    }
    expect(zhCN['error.DISCONNECTED']).toContain('自动重新连接');
    expect(en['error.DISCONNECTED']).toMatch(/reconnecting by itself/);
    expect(zhCN['error.CONFLICT']).toContain('还没有学生平板加入');
    expect(en['error.CONFLICT']).toMatch(/no student tablet has joined/);
  });

  it('sign-in without a platform points to the platform setting, not to 联网', () => {
    const msg = zhCN['signin.refused.NEEDS_ONLINE'];
    expect(msg).not.toContain('请联网后登录');
    expect(msg).toContain('还没设置平台');
    expect(msg).toContain('学校管理员');
    expect(msg).toContain('数据同步');
    expect(en['signin.refused.NEEDS_ONLINE']).toMatch(/no platform set/);
  });

  it('同步 only means 数据同步 (or the fixed name 同步答题)', () => {
    const bad = zh
      .filter(([k, v]) => !k.startsWith('sync.') && v.replaceAll('数据同步', '').replaceAll('同步答题', '').includes('同步'))
      .map(([k, v]) => `${k}: ${v}`);
    expect(bad).toEqual([]);
  });

  it('the board-follow state has one name', () => {
    for (const k of ['lesson.onBoard', 'lesson.boardFollows', 'presenter.following'] as const) {
      expect(zhCN[k], k).toBe('大屏跟随中');
      expect(en[k], k).toBe('Board following');
    }
  });

  it('下发 buttons say 下发; 投屏 is only a device → the board', () => {
    for (const k of ['share.sendPage', 'share.sendFile', 'share.sendLink'] as const) expect(zhCN[k], k).toMatch(/^下发/);
    for (const k of ['share.screen', 'share.screenStart', 'share.screenStop', 'share.lessonStart'] as const) expect(zhCN[k], k).not.toContain('投屏');
    // The console's join-code button shows the code on the board: that is not a 投屏.
    expect(zhCN['console.cast']).not.toContain('投');
  });

  it("none of the glossary's forbidden variants appears in zh-CN.ts or en.ts", () => {
    const list = forbidden();
    expect(list.length).toBeGreaterThanOrEqual(10);
    expect(list.map((f) => f.wrong)).toEqual(expect.arrayContaining(['大屏同步', '大屏跟随翻页']));
    const bad: string[] = [];
    for (const { wrong } of list) for (const [k, v] of [...zh, ...english]) if (v.includes(wrong)) bad.push(`${k}: ${v} (glossary: not ${wrong})`);
    expect(bad).toEqual([]);
  });
});
