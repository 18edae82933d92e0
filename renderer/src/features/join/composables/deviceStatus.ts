/**
 * Tell the teacher how this device is doing: battery level (where the browser
 * exposes navigator.getBattery) and a rough link quality from the Network
 * Information API. Sent on join, on every reconnect and when they change.
 */
import { onBeforeUnmount, watch, type Ref } from 'vue';
import type { ConnectionQuality } from '../../../../../common/protocol.ts';
import { useApi } from '../../../transport/index.ts';

interface BatteryLike extends EventTarget {
  level: number;
}
interface NetworkLike extends EventTarget {
  effectiveType?: string;
}

function linkQuality(): ConnectionQuality {
  const conn = (navigator as Navigator & { connection?: NetworkLike }).connection;
  const type = conn?.effectiveType;
  return type === 'slow-2g' || type === '2g' ? 'weak' : 'good';
}

export function useDeviceStatusReporting(joined: Ref<boolean>): void {
  const api = useApi();
  let battery: BatteryLike | null = null;
  let lastSent = '';

  const send = (): void => {
    if (!joined.value || api.status().state !== 'connected') return;
    const level = battery ? Math.round(Math.min(1, Math.max(0, battery.level)) * 100) / 100 : null;
    const payload = { battery: level, quality: linkQuality() };
    const key = JSON.stringify(payload);
    if (key === lastSent) return;
    lastSent = key;
    api.call('device.status', payload).catch(() => {
      lastSent = ''; // try again next time
    });
  };

  const getBattery = (navigator as Navigator & { getBattery?: () => Promise<BatteryLike> }).getBattery;
  if (typeof getBattery === 'function') {
    getBattery
      .call(navigator)
      .then((b) => {
        battery = b;
        b.addEventListener('levelchange', send);
        send();
      })
      .catch(() => {});
  }
  const net = (navigator as Navigator & { connection?: NetworkLike }).connection;
  net?.addEventListener?.('change', send);

  const offStatus = api.onStatus((s) => {
    if (s.state === 'connected') {
      lastSent = ''; // the hub forgets status across reconnects
      send();
    }
  });
  const stop = watch(joined, (now) => {
    if (now) {
      lastSent = '';
      send();
    }
  }, { immediate: true });

  onBeforeUnmount(() => {
    stop();
    offStatus();
    battery?.removeEventListener('levelchange', send);
    net?.removeEventListener?.('change', send);
  });
}
