/**
 * Node side of the SFU browser tests and bench: the page bundle
 * (sfu-page.ts + mediasoup-client, built with esbuild), a tiny HTTP server on
 * loopback that serves it (getUserMedia needs a secure context, and
 * http://127.0.0.1 is one), and test-only signalling: each page gets a
 * `sfuSignal(method, data)` function bound to one live session on the Sfu.
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import type { types as ms } from 'mediasoup';
import type { Sfu } from '../../main/media/sfu.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function bundleSfuPage(): Promise<string> {
  const r = await build({
    entryPoints: [path.join(here, 'sfu-page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  return r.outputFiles[0]!.text;
}

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

export async function startPageServer(script: string): Promise<PageServer> {
  const server = http.createServer((req, res) => {
    if (req.url === '/sfu.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>sfu</title><body><script src="/sfu.js"></script></body>');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface SignalData {
  transportId: string;
  dtlsParameters: ms.DtlsParameters;
  kind: ms.MediaKind;
  rtpParameters: ms.RtpParameters;
  producerId: string;
  rtpCapabilities: ms.RtpCapabilities;
  consumerId: string;
}

/** Open the page and bind its signalling to `sessionId` on `sfu`. */
export async function openSfuPage(browser: Browser, url: string, sfu: Sfu, sessionId: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  await page.exposeFunction('sfuSignal', async (method: string, raw: unknown) => {
    const d = (raw ?? {}) as SignalData;
    switch (method) {
      case 'rtpCapabilities':
        return sfu.openSession(sessionId);
      case 'createTransport':
        return sfu.createWebRtcTransport(sessionId);
      case 'connectTransport':
        return sfu.connectTransport(sessionId, d.transportId, d.dtlsParameters);
      case 'produce':
        return sfu.produce(sessionId, d.transportId, d.kind, d.rtpParameters);
      case 'producerIds':
        return sfu.producerIds(sessionId);
      case 'consume':
        return sfu.consume(sessionId, d.transportId, d.producerId, d.rtpCapabilities);
      case 'resumeConsumer':
        return sfu.resumeConsumer(sessionId, d.consumerId);
      default:
        throw new Error(`unknown signalling method ${method}`);
    }
  });
  await page.goto(url);
  await page.waitForFunction(() => 'sfu' in globalThis);
  return page;
}
