/**
 * The device side of bench/quiz.ts, in its own process (forked by the
 * bench): a teacher, a board and N student sockets per variant. Each round
 * the teacher starts a question; every device answers the moment it has it;
 * the round ends when the board has seen all N answers. All timing is on
 * this process's one clock.
 */
import type { Socket } from 'socket.io-client';
import { call, connect, type Reply } from './socket.ts';

export type QuizVariant = 'ketang' | 'bare';
export interface QuizConfig {
  type: 'config';
  devices: number;
  rounds: number;
  warmup: number;
  block: number;
  intervalMs: number;
  ketang: { url: string; consoleToken: string; boardToken: string; lessonId: string };
  bareUrl: string;
}
export interface QuizRound {
  /** emit → the last device has the question */
  allHave: number;
  /** emit → the board has all N answers */
  boardAll: number;
}
export interface QuizResult {
  name: QuizVariant;
  rounds: QuizRound[];
  failures: string[];
  clientBusyMs: number;
}
export type QuizToServer = { type: 'ready'; joined: number } | { type: 'done'; results: QuizResult[] } | { type: 'error'; message: string };

const send = (m: QuizToServer): void => {
  process.send!(m);
};
const firstMessage = new Promise<QuizConfig>((resolve) => process.once('message', (m: QuizConfig) => resolve(m)));


/** One setup: how a round starts, and the hooks that see questions and answers arrive. */
interface Setup {
  name: QuizVariant;
  devices: Socket[];
  all: Socket[];
  /** Start round i; the promise is the teacher's reply. */
  start(i: number): Promise<unknown>;
  /** Call `cb(questionKey)` when a device gets a new question; it must then answer. */
  onQuestion(d: Socket, cb: (key: string) => void): () => void;
  answer(d: Socket, key: string, i: number): void;
  /** Call `cb(questionKey, answered)` when the board sees the live count. */
  onBoard(cb: (key: string, answered: number) => void): () => void;
}

async function ketangSetup(cfg: QuizConfig): Promise<Setup> {
  const { url, consoleToken, boardToken, lessonId } = cfg.ketang;
  const teacher = await connect(url, { protocol: 1, token: consoleToken });
  const snap = (await call(teacher, 'session.start', { lessonId })) as { session: { code: string } };
  await call(teacher, 'join.allowAnonymous', { allow: true });
  const board = await connect(url, { protocol: 1, token: boardToken });
  const lookup = (await call(teacher, 'join.lookup', { code: snap.session.code })) as { roster: { id: string }[] };
  const devices: Socket[] = [];
  for (let i = 0; i < cfg.devices; i++) {
    const d = await connect(url, { protocol: 1 });
    const student = lookup.roster[i];
    // The sample class has 40 students; the others join anonymously (the teacher allowed it).
    await call(d, 'join.enter', student ? { code: snap.session.code, role: 'student', studentId: student.id } : { code: snap.session.code, role: 'student', name: `匿名${i}` });
    devices.push(d);
  }
  return {
    name: 'ketang',
    devices,
    all: [teacher, board, ...devices],
    start: (i) => call(teacher, 'quiz.start', { kind: 'single', prompt: `第${i}题`, options: 4, correct: [i % 4] }),
    onQuestion(d, cb) {
      const l = (p: { question: { id: string; status: string } | null; answer: unknown }): void => {
        if (p.question?.status === 'open' && !p.answer) cb(p.question.id);
      };
      d.on('quiz.mine', l);
      return () => d.off('quiz.mine', l);
    },
    answer(d, key, i) {
      d.emit('quiz.answer', { questionId: key, choice: [(i * 7 + devices.indexOf(d)) % 4] }, (r: Reply) => {
        if (!r.ok) console.error(`answer refused: ${r.error.code} ${r.error.message}`);
      });
    },
    onBoard(cb) {
      const l = (p: { question: { id: string }; answered: number } | null): void => {
        if (p) cb(p.question.id, p.answered);
      };
      board.on('quiz.live', l);
      return () => board.off('quiz.live', l);
    },
  };
}

async function bareSetup(cfg: QuizConfig): Promise<Setup> {
  const teacher = await connect(cfg.bareUrl, { role: 'teacher' });
  const board = await connect(cfg.bareUrl, { role: 'board' });
  const devices: Socket[] = [];
  for (let i = 0; i < cfg.devices; i++) devices.push(await connect(cfg.bareUrl, { role: 'device' }));
  return {
    name: 'bare',
    devices,
    all: [teacher, board, ...devices],
    start: (i) => call(teacher, 'start', { kind: 'single', prompt: `第${i}题`, options: 4, correct: [i % 4] }),
    onQuestion(d, cb) {
      const l = (p: { question: { id: string } }): void => cb(p.question.id);
      d.on('q', l);
      return () => d.off('q', l);
    },
    answer(d, key, i) {
      d.emit('a', { questionId: key, choice: [(i * 7 + devices.indexOf(d)) % 4] }, () => {});
    },
    onBoard(cb) {
      const l = (p: { question: { id: string }; answered: number }): void => cb(p.question.id, p.answered);
      board.on('live', l);
      return () => board.off('live', l);
    },
  };
}

function round(s: Setup, i: number, n: number): Promise<QuizRound> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let have = 0;
    let allHave = 0;
    let key: string | null = null;
    const offs: (() => void)[] = [];
    const timer = setTimeout(() => finish(new Error(`round ${i}: ${have}/${n} devices had the question after 5 s`)), 5000);
    const finish = (err?: Error, r?: QuizRound): void => {
      clearTimeout(timer);
      offs.forEach((off) => off());
      if (err) reject(err);
      else resolve(r!);
    };
    for (const d of s.devices) {
      let answered = false;
      offs.push(
        s.onQuestion(d, (k) => {
          if (answered || (key !== null && k !== key)) return;
          key = k;
          answered = true;
          if (++have === n) allHave = performance.now() - t0;
          s.answer(d, k, i);
        }),
      );
    }
    offs.push(
      s.onBoard((k, answered) => {
        if (k === key && answered === n) finish(undefined, { allHave, boardAll: performance.now() - t0 });
      }),
    );
    s.start(i).catch((err: Error) => finish(err));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const cfg = await firstMessage;
  const setups = [await ketangSetup(cfg), await bareSetup(cfg)];
  send({ type: 'ready', joined: setups.reduce((n, s) => n + s.devices.length, 0) });
  const results: QuizResult[] = setups.map((s) => ({ name: s.name, rounds: [], failures: [], clientBusyMs: 0 }));
  const run = async (s: Setup, from: number, count: number, out: QuizResult | null): Promise<void> => {
    for (let i = from; i < from + count; i++) {
      const started = performance.now();
      try {
        const r = await round(s, i, cfg.devices);
        out?.rounds.push(r);
      } catch (err) {
        if (!out) throw err;
        out.failures.push((err as Error).message);
      }
      const wait = started + cfg.intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
    }
  };
  for (const s of setups) await run(s, 0, cfg.warmup, null);
  let done = 0;
  let b = 0;
  while (done < cfg.rounds) {
    const count = Math.min(cfg.block, cfg.rounds - done);
    for (let k = 0; k < setups.length; k++) {
      const idx = (b + k) % setups.length;
      const elu = performance.eventLoopUtilization();
      await run(setups[idx]!, cfg.warmup + done, count, results[idx]!);
      results[idx]!.clientBusyMs += performance.eventLoopUtilization(elu).active;
    }
    done += count;
    b++;
  }
  for (const s of setups) for (const sock of s.all) sock.disconnect();
  send({ type: 'done', results });
  process.disconnect();
}

main().catch((err: unknown) => {
  send({ type: 'error', message: (err as Error).stack ?? String(err) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
