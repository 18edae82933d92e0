/**
 * Screen share bitrate: what the teacher's screen costs on the Wi-Fi for a
 * static slide and for a moving window, at 1080p content, with the encoding
 * the app uses (StreamSender's first level for 'detail': contentHint
 * 'detail', maxBitrate 2.5 Mbit/s, maxFramerate 15, maintain-resolution).
 *
 * Headless Chromium (Debian's, no GPU) opens a 1920×1080 page, captures its
 * own tab (`--auto-accept-this-tab-capture`, getDisplayMedia with
 * preferCurrentTab), sends it over a loopback RTCPeerConnection pair in the
 * page, and after a 4 s warm-up reads outbound-rtp (bytes sent) and
 * inbound-rtp (frames decoded) over 10 s. The baseline is the same capture of
 * a page whose content moves every frame. Hub signalling is not involved.
 */
import http from 'node:http';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/helpers/browser.ts';

const SLIDE = `<!doctype html><meta charset="utf-8"><title>slide</title><body style="margin:0;background:#fff;font:48px sans-serif">
<h1 style="margin:80px">认识分数 · 第 3 页</h1><ul style="margin:0 80px">${Array.from({ length: 8 }, (_, i) => `<li>把一个物体平均分成几份，每份是它的几分之一（${i + 1}）</li>`).join('')}</ul></body>`;
const MOVING = `<!doctype html><meta charset="utf-8"><title>moving</title><body style="margin:0;overflow:hidden"><canvas id=c width=1920 height=1080></canvas>
<script>const c=document.getElementById('c').getContext('2d');let t=0;(function f(){t++;for(let i=0;i<40;i++){c.fillStyle='hsl('+((t*3+i*9)%360)+',70%,50%)';c.fillRect((i*97+t*11)%1920,(i*53+t*7)%1080,240,160);}c.fillStyle='#000';c.font='64px sans-serif';c.fillText('frame '+t,80,120);requestAnimationFrame(f)})();</script></body>`;

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(req.url === '/moving' ? MOVING : SLIDE);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, '--auto-accept-this-tab-capture', '--allow-loopback-in-peer-connection'] });

async function measure(pathName: string): Promise<{ kbps: number; fps: number; width: number }> {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  await page.goto(base + pathName);
  // Runs in the page (plain JavaScript: the benches are type-checked without the DOM library).
  const out = (await page.evaluate(`(async () => {
    const media = await Promise.race([
      navigator.mediaDevices.getDisplayMedia({ video: true, preferCurrentTab: true }),
      new Promise((_, rej) => setTimeout(() => rej(new Error('getDisplayMedia hung')), 15_000)),
    ]);
    const track = media.getVideoTracks()[0];
    track.contentHint = 'detail';
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate);
    b.ontrack = (e) => {
      const v = document.createElement('video');
      v.muted = true;
      v.srcObject = e.streams[0] ?? new MediaStream([e.track]);
      void v.play();
    };
    const sender = a.addTrack(track, media);
    const p = sender.getParameters();
    if (!p.encodings?.length) p.encodings = [{}];
    p.encodings[0] = { ...p.encodings[0], maxBitrate: 2_500_000, maxFramerate: 15, scaleResolutionDownBy: 1 };
    p.degradationPreference = 'maintain-resolution';
    await sender.setParameters(p);
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    const read = async () => {
      let bytes = 0;
      let frames = 0;
      let width = 0;
      (await a.getStats()).forEach((s) => {
        if (s.type === 'outbound-rtp' && s.kind === 'video') bytes = Number(s.bytesSent ?? 0);
      });
      (await b.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          frames = Number(s.framesDecoded ?? 0);
          width = Number(s.frameWidth ?? 0);
        }
      });
      return { bytes, frames, width };
    };
    await new Promise((r) => setTimeout(r, 4_000));
    const s0 = await read();
    await new Promise((r) => setTimeout(r, 10_000));
    const s1 = await read();
    return { kbps: ((s1.bytes - s0.bytes) * 8) / 10 / 1000, fps: (s1.frames - s0.frames) / 10, width: s1.width };
})()`)) as { kbps: number; fps: number; width: number };
  await context.close();
  return out;
}

const slide = await measure('/slide');
const moving = await measure('/moving');
console.log('\nbench screenshare: tab capture of 1920×1080 content, contentHint detail, ≤ 2.5 Mbit/s, ≤ 15 fps (headless Chromium, no GPU)');
console.log(`  static slide   ${slide.kbps.toFixed(0).padStart(6)} kbit/s  ${slide.fps.toFixed(1).padStart(5)} fps decoded  width ${slide.width}   (goal < 300 kbit/s)`);
console.log(`  moving window  ${moving.kbps.toFixed(0).padStart(6)} kbit/s  ${moving.fps.toFixed(1).padStart(5)} fps decoded  width ${moving.width}`);
console.log(`  ratio static / moving: ${(slide.kbps / Math.max(1, moving.kbps)).toFixed(3)}`);
await browser.close();
server.close();
