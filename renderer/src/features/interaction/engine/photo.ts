/**
 * A photo of written work, from the tablet's camera to the hub: scaled down
 * in the browser (a 12-megapixel photo is 5 MB; 1600 px of paper is plenty
 * to read and travels fast on weak Wi-Fi), then POST /answer-photo with the
 * device's resume token. Returns the photo's sha256 for quiz.answer.
 */
import { loadJoin } from '../../../transport/credentials.ts';
import { useDeviceStore } from '../../../stores/device.ts';

const MAX_SIDE = 1600;

async function shrink(file: Blob): Promise<Blob> {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.82));
    return blob ?? file;
  } catch {
    return file; // the browser cannot decode it: let the hub judge the original
  }
}

export async function uploadAnswerPhoto(file: Blob): Promise<string> {
  const device = useDeviceStore();
  const token = loadJoin(device.code)?.resumeToken;
  if (!token) throw new Error('not joined');
  const body = await shrink(file);
  const res = await fetch('/answer-photo', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': body.type || 'application/octet-stream' }, body });
  const reply = (await res.json()) as { ok: boolean; data?: { sha256: string } };
  if (!res.ok || !reply.ok || !reply.data) throw new Error(`upload failed (${res.status})`);
  return reply.data.sha256;
}
