import { describe, expect, it } from 'vitest';
import { startProgress } from '../../src/harness/progress.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    columns: 100,
    write(chunk: string) {
      chunks.push(String(chunk));
      return true;
    },
    cursorTo() {
      return true;
    },
    clearLine() {
      return true;
    },
    moveCursor() {
      return true;
    },
    on() {
      return stream;
    },
    removeListener() {
      return stream;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join('') };
}

describe('progress', () => {
  it('off a TTY, auto mode writes a plain line per interval with the label and the sample', async () => {
    const { stream, text } = fakeStream(false);
    const handle = startProgress({ mode: 'auto', label: 'torture rwlock', totalMs: 1000, sample: () => '42 ops', stream, lineIntervalMs: 30 });
    expect(handle.mode).toBe('lines');
    await new Promise((resolve) => setTimeout(resolve, 200));
    handle.stop();
    const lines = text().trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/^torture rwlock: \d+\.\d\/1\.0 s, 42 ops$/);
    const count = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(text().trim().split('\n')).toHaveLength(count); // stopped means stopped
  });

  it('past the planned length (threads still ending) a line says stopping, never elapsed > total', async () => {
    const { stream, text } = fakeStream(false);
    const handle = startProgress({ mode: 'lines', label: 'stress', totalMs: 50, sample: () => '7 vmentries', stream, lineIntervalMs: 30 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    handle.stop();
    const lines = text().trim().split('\n');
    expect(lines.at(-1)).toBe('stress: stopping (0.1/0.1 s), 7 vmentries');
  });

  it('on a TTY, auto mode draws a bar; silent mode writes nothing', async () => {
    const tty = fakeStream(true);
    const bar = startProgress({ mode: 'auto', label: 'torture', totalMs: 1000, sample: () => 'x', stream: tty.stream, barIntervalMs: 20 });
    expect(bar.mode).toBe('bar');
    await new Promise((resolve) => setTimeout(resolve, 60));
    bar.stop();
    expect(tty.text()).toContain('torture [');

    const quiet = fakeStream(false);
    const silent = startProgress({ mode: 'silent', label: 'torture', totalMs: 1000, sample: () => 'x', stream: quiet.stream });
    await new Promise((resolve) => setTimeout(resolve, 50));
    silent.stop();
    expect(quiet.text()).toBe('');
  });
});
