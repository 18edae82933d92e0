/** DOM listeners tied to a component's life: added when it mounts, removed when it unmounts. */
import { onBeforeUnmount, onMounted } from 'vue';

type Listenable = Window | Document | HTMLElement;
type EventOf<T> = T extends Window ? WindowEventMap : T extends Document ? DocumentEventMap : HTMLElementEventMap;

export function useListener<T extends Listenable, K extends keyof EventOf<T> & string>(
  target: T,
  type: K,
  fn: (e: EventOf<T>[K]) => void,
  options?: AddEventListenerOptions,
): void {
  const handler = fn as unknown as EventListener;
  onMounted(() => target.addEventListener(type, handler, options));
  onBeforeUnmount(() => target.removeEventListener(type, handler, options));
}
