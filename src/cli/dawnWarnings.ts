/**
 * Dawn prints, from native code straight to the process's stderr, two lines per adapter it
 * creates on drivers that report more dynamic buffers than Dawn allows:
 *   Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.
 * They repeat for every adapter a run requests and say nothing a user can act on, so the launcher
 * folds them into one line that says what they mean. Nothing else on stderr is touched.
 */
const DAWN_LIMIT_WARNING = /^Warning: (maxDynamic\w+PerPipelineLayout) artificially reduced from (\d+) to (\d+) to fit dynamic offset allocation limit\.\r?$/;
const PREFIX = 'Warning: maxDynamic';

export interface StderrFilter {
  /** Text from the child's stderr; returns what to write now. */
  push: (chunk: string) => string;
  /** When the stream has been quiet a moment: a note still waiting for its pair's next line. */
  idle: () => string;
  /** At the child's exit: whatever is still held. */
  end: () => string;
}

function note(limits: Map<string, string>): string {
  const list = [...limits].map(([name, change]) => `${name} ${change}`).join(', ');
  return `wgbench: Dawn caps dynamic-offset buffers per pipeline layout below what this driver reports (${list}); wgbench binds no buffers with dynamic offsets, so no result is affected\n`;
}

export function createStderrFilter(): StderrFilter {
  let held = '';
  const limits = new Map<string, string>();
  let noted = false;
  let pendingNote = false;
  const flushNote = (): string => {
    if (!pendingNote) return '';
    pendingNote = false;
    noted = true;
    return note(limits);
  };
  const line = (text: string): string => {
    const m = DAWN_LIMIT_WARNING.exec(text);
    if (m === null) return `${flushNote()}${text}\n`;
    const change = `${m[2] ?? '?'}→${m[3] ?? '?'}`;
    if (limits.get(m[1] ?? '') !== change) {
      limits.set(m[1] ?? '', change);
      // A limit not yet described gets (another) note once the pair is complete.
      if (noted) noted = false;
      pendingNote = !noted;
    }
    return '';
  };
  return {
    push(chunk) {
      held += chunk;
      let out = '';
      for (let nl = held.indexOf('\n'); nl >= 0; nl = held.indexOf('\n')) {
        out += line(held.slice(0, nl));
        held = held.slice(nl + 1);
      }
      // A partial line is held only while it could still become one of Dawn's; a progress bar
      // redrawn with \r never ends its line and must pass at once.
      if (held !== '' && !(held.startsWith(PREFIX) || PREFIX.startsWith(held))) {
        out += flushNote() + held;
        held = '';
      }
      return out;
    },
    idle: () => (held === '' ? flushNote() : ''),
    end() {
      const rest = held;
      held = '';
      if (rest === '') return flushNote();
      const last = line(rest);
      return `${last.endsWith('\n') ? last.slice(0, -1) : last}${flushNote()}`;
    },
  };
}
