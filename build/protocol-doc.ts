/**
 * Renders docs/protocol.md from the contract (common/protocol.ts, with the
 * ink shapes of common/ink.ts and the IPC names of common/ipc-channels.ts)
 * and from the hub's limits in main/hub/server.ts. build/gen-protocol-doc.ts
 * writes the file; tests/unit/protocol/doc.test.ts checks it is current.
 *
 * The output must depend on nothing but the sources: no dates, no versions
 * of tools, stable ordering.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import * as ink from '../common/ink.ts';
import { EVENT_CHANNEL, OPERATION_CHANNEL_PREFIX } from '../common/ipc-channels.ts';
import * as protocol from '../common/protocol.ts';
import { HUB_LIMITS } from '../main/hub/server.ts';
import {
  ERROR_CODES,
  EVENT_NAMES,
  events,
  Handshake,
  JOIN_ROLES,
  MAX_MESSAGE_BYTES,
  OPERATION_NAMES,
  operations,
  PROTOCOL_VERSION,
  roleMayCall,
  ROLES,
  type ErrorCode,
} from '../common/protocol.ts';

export const DOC_PATH = fileURLToPath(new URL('../docs/protocol.md', import.meta.url));
const PROTOCOL_SOURCE = fileURLToPath(new URL('../common/contract/base.ts', import.meta.url));

// ------------------------------------------------------------ sources

/** The meaning of each error code: the comment next to it in ERROR_CODES, else these. */
const FALLBACK_MEANINGS: Partial<Record<ErrorCode, string>> = {
  UNKNOWN_OPERATION: 'no operation has this name (on socket.io: the event name)',
  INTERNAL: 'the hub failed while handling a valid message; the details are in its log, not in the reply',
};

export function errorMeanings(source = fs.readFileSync(PROTOCOL_SOURCE, 'utf8')): Record<ErrorCode, string> {
  const block = /export const ERROR_CODES = \[([\s\S]*?)\] as const/.exec(source)?.[1];
  if (!block) throw new Error('gen-protocol-doc: ERROR_CODES not found in common/contract/base.ts');
  const comments = new Map<string, string>();
  for (const m of block.matchAll(/'([A-Z_]+)',[ \t]*(?:\/\/[ \t]*(.*))?/g)) {
    if (m[2]) comments.set(m[1]!, m[2].trim());
  }
  const out = {} as Record<ErrorCode, string>;
  for (const code of ERROR_CODES) {
    const meaning = comments.get(code) ?? FALLBACK_MEANINGS[code];
    if (!meaning) throw new Error(`gen-protocol-doc: error code ${code} has no meaning; add a // comment next to it in ERROR_CODES`);
    out[code] = meaning;
  }
  return out;
}

export interface HubLimits {
  maxFrameBytes: number;
  maxRefusedInARow: number;
  burst: number;
  perSecond: number;
  pingInterval: number;
  pingTimeout: number;
}

/** The hub's limits, as main/hub/server.ts uses them. */
export function hubLimits(): HubLimits {
  return { ...HUB_LIMITS };
}

// ------------------------------------------------------------ schemas

type Json = { [k: string]: unknown };

/** Named shapes: exported object/array/union schemas of the contract, referenced as #/$defs/<Name>. */
function shapeRegistry(): z.core.$ZodRegistry<{ id: string }> {
  const reg = z.registry<{ id: string }>();
  const add = (mod: Record<string, unknown>, strip: RegExp): void => {
    for (const [name, value] of Object.entries(mod)) {
      // Empty and Ok are helpers, clearer written out in each operation than named.
      if (!(value instanceof z.ZodType) || value === Handshake || value === protocol.Empty || value === protocol.Ok) continue;
      const type = (value as z.ZodType).def.type;
      if (type === 'object' || type === 'array' || type === 'union') reg.add(value as z.ZodType, { id: name.replace(strip, '') });
    }
  };
  add(protocol as Record<string, unknown>, /$^/);
  add(ink as Record<string, unknown>, /Schema$/);
  return reg;
}

const SAFE_INT = Number.MAX_SAFE_INTEGER;

/** Drop noise: the dialect marker (stated once) and the ±2^53-1 bounds every `.int()` carries. */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === '$schema') continue;
    if (k === 'maximum' && v === SAFE_INT) continue;
    if (k === 'minimum' && v === -SAFE_INT) continue;
    out[k] = tidy(v);
  }
  return out;
}

class Schemas {
  private readonly reg = shapeRegistry();
  /** name → rendering per direction, in order of first use. */
  readonly shapes = new Map<string, { input?: string; output?: string }>();

  render(schema: z.ZodType, io: 'input' | 'output'): string {
    const json = tidy(z.toJSONSchema(schema, { io, metadata: this.reg, unrepresentable: 'throw', target: 'draft-2020-12' })) as Json;
    const defs = (json.$defs ?? {}) as Record<string, unknown>;
    delete json.$defs;
    for (const [name, def] of Object.entries(defs)) {
      const entry = this.shapes.get(name) ?? {};
      entry[io] = JSON.stringify(def, null, 2);
      this.shapes.set(name, entry);
    }
    return JSON.stringify(json, null, 2);
  }
}

// ------------------------------------------------------------ markdown

const code = (s: string): string => '`' + s + '`';
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const jsonBlock = (s: string): string => '```json\n' + s + '\n```';
const anchor = (s: string): string => s.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');

function rolesOf(roles: readonly string[] | 'anyone'): string {
  return roles === 'anyone' ? 'anyone, also before joining' : roles.join(', ');
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function renderProtocolDoc(): string {
  const schemas = new Schemas();
  const meanings = errorMeanings();
  const limits = hubLimits();
  const out: string[] = [];
  /** Append blocks (paragraphs, lists, tables, code), each followed by a blank line. */
  const p = (...blocks: string[]): void => {
    for (const b of blocks) out.push(b, '');
  };

  p(
    `# Ketang protocol v${PROTOCOL_VERSION}`,
    '> Generated from the contract (`common/protocol.ts` and `common/contract/*.ts`), `common/ink.ts`, `common/ipc-channels.ts` and the limits in `main/hub/server.ts` by `node build/gen-protocol-doc.ts` (with `node_modules/.bin` first on PATH). Do not edit by hand: change the contract, run the generator and commit both. `tests/unit/protocol/doc.test.ts` fails while this file is out of date; `node build/gen-protocol-doc.ts --check` tells without writing.',
    'Everything a client and the hub say to each other: the operations a client may ask for (each answered with a reply), the events the hub pushes, how a connection is admitted and resumed, the limits and the error codes. The same operations are served to browser devices over socket.io and to the desktop app\'s own windows over Electron IPC; the classroom service validates and authorizes both the same way, so a bad or unauthorized message gets an error and changes nothing.',
  );

  p(
    '## Contents',
    ['Transports', 'Handshake and roles', 'Resume', 'Limits', 'Error codes', 'Operations', 'Events', 'Files', 'Shapes'].map((s) => `- [${s}](#${anchor(s)})`).join('\n'),
  );

  // ---- transports
  p(
    '## Transports',
    '### socket.io (browser devices, remote classrooms)',
    [
      '- Connect with a socket.io v4 client to the hub\'s address (default path `/socket.io/`), passing the [handshake](#handshake-and-roles) as `auth`.',
      '- **Operation call**: the socket.io event name is the operation name; the one argument is the operation\'s input object (use `{}` when it takes none); the last argument is an acknowledgement callback. A message without a callback is ignored (and logged).',
      '- **Reply** (the acknowledgement\'s one argument): `{ "ok": true, "data": <output> }` or `{ "ok": false, "error": { "code": <error code>, "message": <English text> } }`. `message` is for logs and client authors; a UI shows its own words per `code`.',
      '- **Events**: the hub emits each event under its name with the payload as the one argument, only to connections whose role receives it.',
      '- **Refused connection**: the client gets `connect_error` with `err.data = { "code", "message" }`; `code` is `INVALID` (the handshake does not match its schema), `PROTOCOL_MISMATCH` (`protocol` is not ' + PROTOCOL_VERSION + '), `UNAUTHENTICATED` (unknown console/board token, or a resume token that no longer works) or `INTERNAL`.',
    ].join('\n'),
    [
      '```js',
      "import { io } from 'socket.io-client';",
      `const socket = io('http://192.168.1.20:8080', { auth: { protocol: ${PROTOCOL_VERSION} } });`,
      "socket.on('connect_error', (err) => console.log(err.data?.code, err.message));",
      "socket.on('class.state', (state) => console.log('page', state.page));",
      "const reply = await socket.emitWithAck('join.enter', { code: '123456', role: 'student', studentId: 'stu-3-1-01' });",
      "if (reply.ok) localStorage.setItem('resumeToken', reply.data.resumeToken);",
      "else console.log(reply.error.code, reply.error.message);",
      '```',
    ].join('\n'),
    '### Electron IPC (the desktop app\'s console and board windows)',
    [
      `- Each operation is its own channel: ${code(OPERATION_CHANNEL_PREFIX + '<operation>')}, e.g. ${code(OPERATION_CHANNEL_PREFIX + 'session.start')}; \`ipcRenderer.invoke(channel, input)\` resolves with the same reply object as over socket.io. There is no generic channel.`,
      `- Events arrive on the one channel ${code(EVENT_CHANNEL)} as \`(eventName, payload)\`.`,
      '- The preload script exposes this as `window.ketang` (`common/desktop-api.ts`): `ops[<operation>](input)` and `on(event, listener)`. The console window is a `teacher` connection and the board window a `board` connection; the main process checks that each call comes from one of the app\'s own windows.',
    ].join('\n'),
  );

  // ---- handshake
  const joinRoles = JOIN_ROLES.map(code).join(' or ');
  p(
    '## Handshake and roles',
    'The socket.io `auth` object a client sends when it connects:',
    jsonBlock(schemas.render(Handshake, 'input')),
    [
      `- \`protocol\` must be ${PROTOCOL_VERSION}, else the connection is refused with \`PROTOCOL_MISMATCH\`.`,
      '- `token`: the console or board token the hub gave its own windows and launcher → role `teacher` or `board`, attached to the running class if there is one. An unknown token is refused (`UNAUTHENTICATED`).',
      '- `resumeToken`: from `join.enter` → the same device, role and class as before (see [Resume](#resume)).',
      `- Neither: the connection has no role yet; it may call only the operations open to anyone (\`hub.info\`, \`join.lookup\`, \`join.enter\`) and becomes a ${joinRoles} device by joining with the class\'s six-digit code.`,
      '- The role is the hub\'s to give: it is never taken from a message, and every call is checked against the operation\'s roles (`FORBIDDEN`, or `UNAUTHENTICATED` before joining).',
    ].join('\n'),
    'Which role may call what (`roleMayCall`):',
    table(
      ['operation', 'not joined', ...ROLES],
      OPERATION_NAMES.map((name) => [code(name), roleMayCall(null, name) ? '✓' : '', ...ROLES.map((r) => (roleMayCall(r, name) ? '✓' : ''))]),
    ),
  );

  // ---- resume
  p(
    '## Resume',
    [
      '- `join.enter` answers with a `resumeToken`. A device keeps it (a tablet\'s browser storage) and, after a dropped link, a reload or a sleep, reconnects with `auth: { protocol, resumeToken }`: it is the same device again, with no new join and no new name in the teacher\'s list.',
      '- On every admitted connection that belongs to a running class (resumed devices, and the console and board when a class is running) the hub first sends `session.snapshot`: the full state to redraw from. Events missed while offline are not replayed; the snapshot replaces them.',
      '- A resume token stops working when the device leaves (`device.leave`), is removed (`device.kick`), its student joins again from another device, or the class ends; the connection is then refused with `UNAUTHENTICATED` and the device should join again with the code.',
      '- The same token, as `?t=<token>`, lets the device fetch courseware files while its class runs (see [Files](#files)).',
    ].join('\n'),
  );

  // ---- limits
  const kib = (n: number): string => (n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);
  p(
    '## Limits',
    table(
      ['limit', 'value', 'what happens'],
      [
        ['`MAX_MESSAGE_BYTES`: one operation\'s input, as JSON', `${MAX_MESSAGE_BYTES} bytes (${kib(MAX_MESSAGE_BYTES)})`, 'reply `TOO_LARGE`; nothing changes'],
        ['socket.io frame (`maxHttpBufferSize`)', `${limits.maxFrameBytes} bytes`, 'the hub closes the connection (a transport error)'],
        ['messages per connection (token bucket)', `burst ${limits.burst}, then ${limits.perSecond} per second`, 'reply `RATE_LIMITED` for each message over the budget'],
        ['refused in a row', `${limits.maxRefusedInARow} messages`, 'a connection still flooding after that many refusals is disconnected'],
        ['heartbeat', `ping every ${limits.pingInterval / 1000} s, timeout ${limits.pingTimeout / 1000} s`, 'a silent device is dropped (then shown offline) within about ' + Math.round((limits.pingInterval + limits.pingTimeout) / 1000) + ' s'],
      ],
    ),
    'Ids are 1–64 letters, digits, `_` or `-`; join codes are six digits; every operation\'s input object is strict: unknown keys are refused (`INVALID`).',
  );

  // ---- errors
  p('## Error codes', table(['code', 'meaning'], ERROR_CODES.map((c) => [code(c), meanings[c]])));

  // ---- operations
  p(
    '## Operations',
    'Input schemas are what the hub accepts (JSON Schema draft 2020-12, as produced by zod\'s `z.toJSONSchema`); output schemas are what `data` holds in a successful reply. `#/$defs/<Name>` refers to [Shapes](#shapes). Integers are safe integers (±2^53−1) unless bounded.',
    table(['operation', 'roles', 'what it does'], OPERATION_NAMES.map((n) => [`[${code(n)}](#${anchor(n)})`, rolesOf(operations[n].roles), operations[n].doc])),
  );
  for (const name of OPERATION_NAMES) {
    const spec = operations[name];
    p(`### ${name}`, spec.doc, `Roles: ${rolesOf(spec.roles)}. Desktop channel: ${code(OPERATION_CHANNEL_PREFIX + name)}.`, 'Input:', jsonBlock(schemas.render(spec.input, 'input')), 'Output (`data`):', jsonBlock(schemas.render(spec.output, 'output')));
  }

  // ---- events
  p(
    '## Events',
    'Pushed by the hub to the connections of a class whose role receives them (over IPC: on the `' + EVENT_CHANNEL + '` channel).',
    table(['event', 'recipients', 'when'], EVENT_NAMES.map((n) => [`[${code(n)}](#${anchor(n)})`, events[n].to.join(', '), events[n].doc])),
  );
  for (const name of EVENT_NAMES) {
    const spec = events[name];
    p(`### ${name}`, spec.doc, `Recipients: ${spec.to.join(', ')}.`, 'Payload:', jsonBlock(schemas.render(spec.payload, 'output')));
  }

  // ---- http
  p(
    '## Files',
    'Courseware files travel over plain HTTP on the hub\'s address, not over socket.io (see `main/hub/files.ts`, `upload.ts`, `server.ts`):',
    [
      '- `GET /healthz` → `200 ok`.',
      '- `GET /files/<sha256>?t=<token>` (or `Authorization: Bearer <token>`): a courseware file from the content cache, by the `sha256` of a courseware item. Any console, board or running-class device token works; otherwise `401`, unknown file `404`. Files are immutable: `ETag` is the hash, byte ranges are served (`206`, `416`), so a download that dropped resumes where it stopped.',
      '- `POST /upload?lesson=<lessonId>&name=<file name>` with the file\'s bytes as the body and the console token (`Authorization: Bearer <token>` or `?t=`): adds a file to a lesson. `201` with `{ "ok": true, "data": <Lesson> }`; errors are `{ "ok": false, "error": { "code", "message" } }` with `401 UNAUTHENTICATED`, `400 INVALID`, `404 NOT_FOUND` or `IMPORT_<reason>` (`413` too large, `415` unsupported type, `422` damaged or not convertible).',
      '- Any other `GET` serves the web client (the device pages).',
    ].join('\n'),
  );

  // ---- shapes
  p('## Shapes', 'Named schemas the operations and events refer to as `#/$defs/<Name>`. Where a shape is read differently in the two directions (unknown keys in objects that are not strict are ignored on input), both forms are shown.');
  for (const [name, forms] of [...schemas.shapes.entries()]) {
    if (forms.input && forms.output && forms.input !== forms.output) {
      p(`### ${name}`, 'As the hub accepts it:', jsonBlock(forms.input), 'As the hub sends it:', jsonBlock(forms.output));
    } else {
      p(`### ${name}`, jsonBlock((forms.output ?? forms.input)!));
    }
  }

  return out.join('\n').replace(/\n+$/, '\n');
}
