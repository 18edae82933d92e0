/** The contract itself (common/protocol.ts): complete, strict, and the role matrix as intended. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ERROR_CODES,
  EVENT_NAMES,
  events,
  Handshake,
  Id,
  isOperationName,
  JOIN_ROLES,
  JoinCode,
  OPERATION_NAMES,
  operations,
  roleMayCall,
  ROLES,
  type OperationName,
  type Role,
} from '../../../common/protocol.ts';

const input = (name: OperationName) => operations[name].input as z.ZodType;

describe('operations', () => {
  it.each(OPERATION_NAMES)('%s declares its roles, a doc and object schemas', (name) => {
    const spec = operations[name];
    if (spec.roles !== 'anyone') {
      expect(spec.roles.length).toBeGreaterThan(0);
      for (const r of spec.roles) expect(ROLES).toContain(r);
      expect(new Set(spec.roles).size).toBe(spec.roles.length);
    }
    expect(spec.doc.trim().length).toBeGreaterThan(10);
    expect(spec.input).toBeInstanceOf(z.ZodType);
    expect(spec.output).toBeInstanceOf(z.ZodType);
    // Inputs are objects that refuse unknown keys (a catch-all of never is what .strict() sets).
    expect(spec.input.def.type).toBe('object');
    expect((spec.input as unknown as z.ZodObject).def.catchall).toBeInstanceOf(z.ZodNever);
    expect(input(name).safeParse({ surprise: 1 }).success).toBe(false);
  });

  it('names do not collide with events or with socket.io\'s reserved event names', () => {
    const reserved = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];
    for (const name of OPERATION_NAMES) {
      expect(EVENT_NAMES as readonly string[]).not.toContain(name);
      expect(reserved).not.toContain(name);
      expect(name).toMatch(/^[a-z]+\.[A-Za-z]+$/);
    }
    expect(isOperationName('session.start')).toBe(true);
    expect(isOperationName('toString')).toBe(false);
    expect(isOperationName('__proto__')).toBe(false);
  });
});

describe('events', () => {
  it.each(EVENT_NAMES)('%s declares recipients, a doc and a payload schema', (name) => {
    const spec = events[name];
    expect(spec.to.length).toBeGreaterThan(0);
    for (const r of spec.to) expect(ROLES).toContain(r);
    expect(spec.doc.trim().length).toBeGreaterThan(10);
    expect(spec.payload).toBeInstanceOf(z.ZodType);
  });

  it('the device list goes to the teacher and board only; a kick only to devices that join with a code', () => {
    expect([...events['devices.changed'].to].sort()).toEqual(['board', 'teacher']);
    expect([...events['devices.delta'].to].sort()).toEqual(['board', 'teacher']);
    expect([...events['device.kicked'].to].sort()).toEqual([...JOIN_ROLES].sort());
  });
});

describe('shapes refuse what they should', () => {
  it('ids: 1–64 letters, digits, _ and -', () => {
    for (const ok of ['a', 'stu-3-1-01', 'A_b-9', 'x'.repeat(64)]) expect(Id.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['', 'x'.repeat(65), 'a b', 'a/b', '../etc', 'a.b', '学生', 'id\n', 42, null]) expect(Id.safeParse(bad).success, String(bad)).toBe(false);
  });

  it('join codes: exactly six ASCII digits', () => {
    for (const ok of ['123456', '000000', '012345']) expect(JoinCode.safeParse(ok).success).toBe(true);
    for (const bad of ['12345', '1234567', 'abcdef', ' 123456', '123456 ', '12 456', '１２３４５６', 123456]) expect(JoinCode.safeParse(bad).success, String(bad)).toBe(false);
  });

  it('join.enter: a good join passes; bad codes, roles and extra keys do not', () => {
    const schema = input('join.enter');
    expect(schema.safeParse({ code: '123456', role: 'student', studentId: 'stu-3-1-01' }).success).toBe(true);
    expect(schema.safeParse({ code: '123456', role: 'group', name: '第一组' }).success).toBe(true);
    expect(schema.safeParse({ code: '12345', role: 'student', studentId: 'stu-3-1-01' }).success).toBe(false);
    // A device cannot make itself the teacher or the board by asking.
    for (const role of ['teacher', 'board', 'observer']) expect(schema.safeParse({ code: '123456', role, name: 'x' }).success).toBe(false);
    expect(schema.safeParse({ code: '123456', role: 'student', studentId: 'stu-3-1-01', deviceId: 'mine' }).success).toBe(false);
    expect(schema.safeParse({ code: '123456', role: 'student', studentId: '../x' }).success).toBe(false);
  });

  it('session.setState: the patch is strict and cannot set rev', () => {
    const schema = input('session.setState');
    expect(schema.safeParse({ sessionId: 's1', patch: { page: 3, locked: true } }).success).toBe(true);
    expect(schema.safeParse({ sessionId: 's1', patch: {} }).success).toBe(true);
    expect(schema.safeParse({ sessionId: 's1', patch: { rev: 99 } }).success).toBe(false);
    expect(schema.safeParse({ sessionId: 's1', patch: { page: -1 } }).success).toBe(false);
    expect(schema.safeParse({ sessionId: 's1', patch: { message: 'x'.repeat(201) } }).success).toBe(false);
    expect(schema.safeParse({ sessionId: 's 1', patch: {} }).success).toBe(false);
  });

  it('empty-input operations take {} and nothing else', () => {
    expect(input('hub.info').safeParse({}).success).toBe(true);
    expect(input('hub.info').safeParse({ x: 1 }).success).toBe(false);
    expect(input('hub.info').safeParse([]).success).toBe(false);
  });

  it('the handshake needs a protocol number and bounds its tokens', () => {
    expect(Handshake.safeParse({ protocol: 1 }).success).toBe(true);
    expect(Handshake.safeParse({ protocol: 1, resumeToken: 'r'.repeat(128) }).success).toBe(true);
    expect(Handshake.safeParse({}).success).toBe(false);
    expect(Handshake.safeParse({ protocol: '1' }).success).toBe(false);
    expect(Handshake.safeParse({ protocol: 1, token: 't'.repeat(129) }).success).toBe(false);
  });
});

describe('roleMayCall', () => {
  const matrix: [OperationName, (Role | null)[], (Role | null)[]][] = [
    // operation, may call, may not
    ['hub.info', [null, 'teacher', 'board', 'student', 'group', 'observer'], []],
    ['join.lookup', [null, 'student'], []],
    ['join.enter', [null, 'student', 'group'], []],
    ['session.start', ['teacher'], [null, 'board', 'student', 'group', 'observer']],
    ['session.setState', ['teacher'], [null, 'board', 'student', 'group', 'observer']],
    ['session.end', ['teacher'], [null, 'board', 'student', 'group', 'observer']],
    ['device.kick', ['teacher'], [null, 'board', 'student', 'group', 'observer']],
    ['session.current', ['teacher', 'board', 'student', 'group', 'observer'], [null]],
    ['device.status', ['student', 'group', 'board'], [null, 'teacher', 'observer']],
    ['device.leave', ['student', 'group'], [null, 'teacher', 'board', 'observer']],
  ];
  it.each(matrix)('%s', (name, may, mayNot) => {
    for (const r of may) expect(roleMayCall(r, name), `${r} → ${name}`).toBe(true);
    for (const r of mayNot) expect(roleMayCall(r, name), `${r} → ${name}`).toBe(false);
  });

  it('a device that has not joined may call only what is open to anyone', () => {
    const open = OPERATION_NAMES.filter((n) => roleMayCall(null, n));
    expect(open.sort()).toEqual(OPERATION_NAMES.filter((n) => operations[n].roles === 'anyone').sort());
    expect(open).toEqual(expect.arrayContaining(['hub.info', 'join.lookup', 'join.enter']));
  });

  it('students and group screens can change nothing that belongs to the teacher', () => {
    for (const role of JOIN_ROLES) {
      const allowed = OPERATION_NAMES.filter((n) => roleMayCall(role, n) && operations[n].roles !== 'anyone');
      // Besides their own status, devices only report on and take part in what the teacher
      // sent or asked them (each share handler checks the device is in the push or stream).
      const share = ['cast.start', 'cast.stop', 'share.lessonPage', 'share.list', 'share.progress', 'stream.list', 'stream.mode', 'stream.signal'];
      // Students also take part in interactions, as themselves only (the hub uses the connection's device and student).
      const interaction = role === 'student' ? ['hand.lower', 'hand.raise', 'quiz.answer', 'signin.submit'] : [];
      expect(allowed.sort()).toEqual(['device.leave', 'device.status', 'session.current', ...share, ...interaction].sort());
    }
  });

  it('error codes are unique', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });
});
