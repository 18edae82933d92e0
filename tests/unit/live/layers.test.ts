/** The SFU's choice of simulcast layer per receiving classroom from its link (main/live/layers.ts). */
import { describe, expect, it } from 'vitest';
import { chooseLayer, FIRST_CHOICE, layerFor, OFF_AFTER, ON_AFTER, VIDEO_OFF, VIDEO_ON, type LayerChoice, type LinkReading } from '../../../main/live/layers.ts';
import * as gate from '../../../renderer/src/features/live/engine/linkPolicy.ts';

function run(readings: LinkReading[], from: LayerChoice = FIRST_CHOICE): LayerChoice[] {
  const out: LayerChoice[] = [];
  let c = from;
  for (const r of readings) out.push((c = chooseLayer(c, r)));
  return out;
}

describe('simulcast layer per receiver', () => {
  it('picks the highest layer that fits the downlink with audio beside it', () => {
    expect(layerFor(null)).toBe(1);
    expect(layerFor(2_000)).toBe(1);
    expect(layerFor(600)).toBe(1);
    expect(layerFor(400)).toBe(0);
    expect(layerFor(150)).toBe(0);
    expect(layerFor(0)).toBe(0);
  });

  it('drops at once on a narrower link and climbs back one layer per reading', () => {
    const steps = run([{ downKbps: 300, loss: 0 }, { downKbps: 2_000, loss: 0 }, { downKbps: 2_000, loss: 0 }]);
    expect(steps.map((s) => s.spatial)).toEqual([0, 1, 1]);
    expect(steps.every((s) => s.video)).toBe(true);
  });

  it('goes one layer down while packets are lost', () => {
    expect(run([{ downKbps: 2_000, loss: 0.08 }, { downKbps: 2_000, loss: 0.08 }]).map((s) => s.spatial)).toEqual([0, 0]);
  });

  it('stops video below the threshold after consecutive weak readings, and brings it back low after good ones', () => {
    const weak = { downKbps: VIDEO_OFF.kbps - 50, loss: 0 };
    const off = run(Array(OFF_AFTER).fill(weak));
    expect(off.map((s) => s.video)).toEqual([...Array(OFF_AFTER - 1).fill(true), false]);
    // While video is off the SFU's estimate is ignored (it sends only audio then): loss alone brings video back.
    const back = run(Array(ON_AFTER).fill({ downKbps: 80, loss: 0.01 }), off.at(-1));
    expect(back.map((s) => s.video)).toEqual([...Array(ON_AFTER - 1).fill(false), true]);
    expect(back.at(-1)!.spatial).toBe(0);
    // Heavy loss keeps it off.
    expect(run(Array(5).fill({ downKbps: null, loss: 0.2 }), off.at(-1)).every((s) => !s.video)).toBe(true);
  });

  it('uses the P2P engine’s VideoGate thresholds, so both engines give way at the same point', () => {
    expect({ off: VIDEO_OFF, on: VIDEO_ON, offAfter: OFF_AFTER, onAfter: ON_AFTER }).toEqual({ off: gate.VIDEO_OFF, on: gate.VIDEO_ON, offAfter: gate.OFF_AFTER, onAfter: gate.ON_AFTER });
  });
});
