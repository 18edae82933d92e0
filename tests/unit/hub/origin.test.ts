/** main/hub/origin.ts: which Origin values are the hub's own pages. */
import { describe, expect, it } from 'vitest';
import { makeOriginCheck } from '../../../main/hub/origin.ts';

describe('makeOriginCheck', () => {
  const check = makeOriginCheck({ host: '0.0.0.0', port: () => 8080, localNames: () => ['192.168.1.20', 'fe80::1', 'classroom-pc', 'classroom-pc.local'] });

  it("the hub's own pages on any of its addresses and names, http or https, and the app", () => {
    for (const o of ['http://192.168.1.20:8080', 'https://192.168.1.20:8080', 'http://127.0.0.1:8080', 'http://127.0.0.5:8080', 'http://[::1]:8080', 'http://[fe80::1]:8080', 'http://Classroom-PC:8080', 'http://classroom-pc.local:8080', 'app://ketang', 'APP://KETANG']) {
      expect({ o, kind: check(o) }).toEqual({ o, kind: 'own' });
    }
  });

  it('no Origin is not a browser page', () => {
    expect(check(undefined)).toBe('none');
    expect(check('')).toBe('none');
  });

  it('anything else is foreign', () => {
    for (const o of ['http://evil.example', 'http://evil.example:8080', 'http://192.168.1.21:8080', 'http://192.168.1.20:8081', 'http://192.168.1.20', 'null', 'file://', 'app://ketang.evil', 'ws://127.0.0.1:8080', 'http://user@127.0.0.1:8080', 'garbage']) {
      expect({ o, kind: check(o) }).toEqual({ o, kind: 'foreign' });
    }
    expect(check(['http://127.0.0.1:8080', 'http://evil.example'])).toBe('foreign');
  });

  it('a specific listen address is its own, and the default port of the scheme counts', () => {
    const only = makeOriginCheck({ host: '10.0.0.9', port: () => 80, localNames: () => [] });
    expect(only('http://10.0.0.9')).toBe('own');
    expect(only('http://10.0.0.9:80')).toBe('own');
    expect(only('https://10.0.0.9')).toBe('foreign');
  });
});
