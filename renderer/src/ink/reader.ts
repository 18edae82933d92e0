/**
 * Reading a page's ink: replay the ops the hub keeps for it into an InkPage.
 * The lesson view, the presenter's previews, the thumbnails, the export, the
 * live view, the recording and a pushed page all read ink this one way.
 */
import { InkOpSchema, InkPage, type InkOp } from '../../../common/ink.ts';

/**
 * A page from its ops. Ops from the wire are checked one by one: a bad op
 * is skipped rather than losing the page. `ours` (written here, not yet
 * saved) go on top unchecked.
 */
export function inkPageOf(ops: Iterable<unknown>, ours: Iterable<InkOp> = []): InkPage {
  const page = new InkPage();
  for (const raw of ops) {
    const parsed = InkOpSchema.safeParse(raw);
    if (parsed.success) page.apply(parsed.data);
  }
  for (const op of ours) page.apply(op);
  return page;
}

/** Fetch a page's ops and replay them; `ours` is read once the answer is in. Rejects when the fetch fails. */
export async function loadInkPage(fetchOps: () => Promise<Iterable<unknown>>, ours: () => Iterable<InkOp> = () => []): Promise<InkPage> {
  const ops = await fetchOps();
  return inkPageOf(ops, ours());
}
