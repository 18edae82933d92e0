/**
 * The device side of bench/hub.ts, run in its own process (forked by the
 * bench). One teacher socket and N device sockets per variant; the teacher
 * changes the class state round after round and this process times how long
 * until every device has the new state. All timing is on this process's one
 * clock (emit and receipts are both seen here), so no cross-process clock
 * correction is needed.
 */
import type { Socket } from 'socket.io-client';
import { call, connect } from './socket.ts';
import type { ClientsConfig, RoundResult, ToClients, ToServer, VariantName, VariantResult } from './hub-protocol.ts';

const send = (m: ToServer): void => {
  process.send!(m);
};

const inbox: ToClients[] = [];
const waiters: ((m: ToClients) => void)[] = [];
process.on('message', (m: ToClients) => {
  const w = waiters.shift();
  if (w) w(m);
  else inbox.push(m);
});
function next(): Promise<ToClients> {
  const m = inbox.shift();
  return m ? Promise.resolve(m) : new Promise((resolve) => waiters.push(resolve));
}


/** One setup under test: how to change the state, and how a device recognises the change. */
interface Setup {
  name: VariantName;
  teacher: Socket;
  devices: Socket[];
  /** Emit the change for round `i`; resolves with the teacher's reply. Returns the rev devices must see. */
  change(i: number): { rev: number; acked: Promise<void> };
  event: string;
  all: Socket[];
}

async function ketangSetup(cfg: ClientsConfig): Promise<Setup> {
  const { url, consoleToken, lessonId } = cfg.ketang;
  const teacher = await connect(url, { protocol: 1, token: consoleToken });
  const snap = (await call(teacher, 'session.start', { lessonId })) as { session: { id: string; code: string }; state: { rev: number } };
  const lookup = (await call(teacher, 'join.lookup', { code: snap.session.code })) as { roster: { id: string }[] };
  const devices: Socket[] = [];
  for (let i = 0; i < cfg.devices; i++) {
    const d = await connect(url, { protocol: 1 });
    const student = lookup.roster[i];
    // The sample class has 40 students; the other devices join as group screens.
    const r = (await call(d, 'join.enter', student ? { code: snap.session.code, role: 'student', studentId: student.id } : { code: snap.session.code, role: 'group', name: `第${i - lookup.roster.length + 1}组` })) as { pending?: true; requestId?: string };
    // A group screen waits for the teacher's 允许, as in class.
    if (r.pending) {
      const decided = new Promise((resolve) => d.once('join.decided', resolve));
      await call(teacher, 'seat.decide', { requestId: r.requestId, allow: true });
      await decided;
    }
    devices.push(d);
  }
  let rev = snap.state.rev;
  return {
    name: 'ketang',
    teacher,
    devices,
    event: 'class.state',
    all: [teacher, ...devices],
    change(i) {
      rev += 1;
      const acked = call(teacher, 'session.setState', { sessionId: snap.session.id, patch: { page: i % 100, locked: i % 7 === 0 } }).then((data) => {
        const got = (data as { rev: number }).rev;
        if (got !== rev) throw new Error(`expected rev ${rev}, hub replied ${got}`);
      });
      return { rev, acked };
    },
  };
}

async function bareSetup(cfg: ClientsConfig, name: 'bare-broadcast' | 'bare-emit-each'): Promise<Setup> {
  const url = name === 'bare-broadcast' ? cfg.bare.broadcastUrl : cfg.bare.emitEachUrl;
  const teacher = await connect(url, { role: 'teacher' });
  const devices: Socket[] = [];
  for (let i = 0; i < cfg.devices; i++) devices.push(await connect(url, { role: 'device' }));
  let rev = (await call(teacher, 'rev', {})) as number;
  return {
    name,
    teacher,
    devices,
    event: 'state',
    all: [teacher, ...devices],
    change(i) {
      rev += 1;
      const acked = call(teacher, 'set', { page: i % 100, locked: i % 7 === 0 }).then((data) => {
        const got = (data as { rev: number }).rev;
        if (got !== rev) throw new Error(`expected rev ${rev}, server replied ${got}`);
      });
      return { rev, acked };
    },
  };
}

function round(setup: Setup, i: number): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    let pending = setup.devices.length;
    let allAt = 0;
    let ackAt = 0;
    const listeners: [Socket, (p: { rev: number }) => void][] = [];
    const timer = setTimeout(() => finish(new Error(`round ${i}: ${pending} of ${setup.devices.length} devices had no state after 5 s`)), 5000);
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      for (const [s, l] of listeners) s.off(setup.event, l);
      if (err) reject(err);
      else resolve({ allDevices: allAt - t0, ack: ackAt - t0 });
    };
    let expected = -1;
    for (const d of setup.devices) {
      const l = (p: { rev: number }): void => {
        if (p.rev !== expected) return;
        if (--pending === 0) {
          allAt = performance.now();
          if (ackAt) finish();
        }
      };
      d.on(setup.event, l);
      listeners.push([d, l]);
    }
    const t0 = performance.now();
    const { rev, acked } = setup.change(i);
    expected = rev;
    acked.then(
      () => {
        ackAt = performance.now();
        if (pending === 0) finish();
      },
      (err: Error) => finish(err),
    );
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runBlock(setup: Setup, from: number, count: number, cfg: ClientsConfig, out: VariantResult | null): Promise<void> {
  let lastStart = -Infinity;
  for (let i = from; i < from + count; i++) {
    const wait = lastStart + cfg.intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    lastStart = performance.now();
    try {
      const r = await round(setup, i);
      out?.rounds.push(r);
    } catch (err) {
      out?.failures.push((err as Error).message);
      if (!out) throw err;
    }
  }
}

async function main(): Promise<void> {
  const cfg = (await next()) as ClientsConfig;
  const setups = [await ketangSetup(cfg), await bareSetup(cfg, 'bare-broadcast'), await bareSetup(cfg, 'bare-emit-each')];
  send({ type: 'ready', joined: setups.reduce((n, s) => n + s.devices.length, 0) });
  await next(); // go

  for (const s of setups) await runBlock(s, 0, cfg.warmup, cfg, null);

  const results: VariantResult[] = setups.map((s) => ({ name: s.name, rounds: [], failures: [], clientBusyMs: 0 }));
  let done = 0;
  let b = 0;
  while (done < cfg.rounds) {
    const count = Math.min(cfg.block, cfg.rounds - done);
    // Rotate which variant goes first so none always follows the same one.
    for (let k = 0; k < setups.length; k++) {
      const idx = (b + k) % setups.length;
      const setup = setups[idx]!;
      send({ type: 'block', edge: 'start', variant: setup.name });
      await next(); // the server has marked the start
      const elu = performance.eventLoopUtilization();
      await runBlock(setup, cfg.warmup + done, count, cfg, results[idx]!);
      results[idx]!.clientBusyMs += performance.eventLoopUtilization(elu).active;
      send({ type: 'block', edge: 'end', variant: setup.name });
      await next();
    }
    done += count;
    b++;
  }
  for (const s of setups) for (const sock of s.all) sock.disconnect();
  send({ type: 'done', results });
  process.disconnect(); // nothing left to do: let the process end
}

main().catch((err: unknown) => {
  send({ type: 'error', message: (err as Error).stack ?? String(err) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
