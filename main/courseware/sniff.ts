/**
 * What a courseware file really is, from its first bytes — never from its
 * name alone. The extension must agree with the content, so a renamed file
 * is caught at import, not in front of forty students.
 */
export type Format = 'pdf' | 'png' | 'jpeg' | 'webp' | 'mp4' | 'webm' | 'mp3' | 'pptx' | 'docx' | 'ppt' | 'doc';
export type Kind = 'pdf' | 'image' | 'video' | 'audio' | 'office';

export const FORMATS: Record<Format, { kind: Kind; mime: string; extensions: readonly string[] }> = {
  pdf: { kind: 'pdf', mime: 'application/pdf', extensions: ['.pdf'] },
  png: { kind: 'image', mime: 'image/png', extensions: ['.png'] },
  jpeg: { kind: 'image', mime: 'image/jpeg', extensions: ['.jpg', '.jpeg'] },
  webp: { kind: 'image', mime: 'image/webp', extensions: ['.webp'] },
  mp4: { kind: 'video', mime: 'video/mp4', extensions: ['.mp4', '.m4v'] },
  webm: { kind: 'video', mime: 'video/webm', extensions: ['.webm'] },
  mp3: { kind: 'audio', mime: 'audio/mpeg', extensions: ['.mp3'] },
  pptx: { kind: 'office', mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', extensions: ['.pptx'] },
  docx: { kind: 'office', mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', extensions: ['.docx'] },
  ppt: { kind: 'office', mime: 'application/vnd.ms-powerpoint', extensions: ['.ppt'] },
  doc: { kind: 'office', mime: 'application/msword', extensions: ['.doc'] },
};

export function formatForExtension(ext: string): Format | null {
  const e = ext.toLowerCase();
  for (const [format, spec] of Object.entries(FORMATS) as [Format, (typeof FORMATS)[Format]][]) {
    if (spec.extensions.includes(e)) return format;
  }
  return null;
}

const ascii = (buf: Uint8Array, start: number, end: number): string => String.fromCharCode(...buf.subarray(start, end));

/**
 * Identify the format from the head of a file (64 KiB is plenty).
 * `extensionHint` only separates formats whose bytes look alike (OLE .ppt / .doc).
 */
export function sniff(head: Uint8Array, extensionHint?: string): Format | null {
  if (head.length < 4) return null;
  // PDF: "%PDF-" within the first KiB (some writers put junk before it).
  if (ascii(head, 0, Math.min(head.length, 1024)).includes('%PDF-')) return 'pdf';
  if (head[0] === 0x89 && ascii(head, 1, 4) === 'PNG') return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(head, 0, 4) === 'RIFF' && head.length >= 12 && ascii(head, 8, 12) === 'WEBP') return 'webp';
  if (head.length >= 12 && ascii(head, 4, 8) === 'ftyp') return 'mp4';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'webm';
  if (ascii(head, 0, 3) === 'ID3' || (head[0] === 0xff && (head[1]! & 0xe0) === 0xe0 && (head[1]! & 0x06) !== 0)) return 'mp3';
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    // Office Open XML is a zip; its part names in the local headers tell which.
    const text = ascii(head, 0, Math.min(head.length, 65536));
    if (!text.includes('[Content_Types].xml')) return null;
    if (text.includes('ppt/')) return 'pptx';
    if (text.includes('word/')) return 'docx';
    return null;
  }
  if (head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0) {
    const hint = extensionHint?.toLowerCase();
    return hint === '.doc' ? 'doc' : hint === '.ppt' ? 'ppt' : null;
  }
  return null;
}
