/**
 * Dawn prints, from native code straight to the process's stderr, two lines per adapter it
 * creates on drivers that report more dynamic buffers than Dawn allows:
 * Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset
 * allocation limit.
 * They repeat for every adapter a run requests and say nothing a user can act on, so the launcher
 * folds them into one line that says what they mean. Nothing else on stderr is touched.
 */
const DAWN_LIMIT_WARNING = new RegExp(
  '^Warning: (maxDynamic\\w+PerPipelineLayout) artificially reduced from (\\d+) to (\\d+) to fit dynamic off' +
    'set allocation limit\\.\\r?$',
);
/** Lines a held partial line could still become: Dawn's warnings and the Vulkan loader's, and their traces. */
const PREFIXES = ['Warning: ', 'Error: Loader Message', '    at '];

/**
 * Dawn and the Vulkan loader also print, with a native stack line, what they found missing while
 * Dawn looks for adapters: no loader at all on a machine without Vulkan, or a loader with no
 * driver. wgbench then takes the next adapter (GL ES), so each kind becomes one line saying so.
 */
const LOADER_NOTES: readonly { pattern: RegExp; note: string }[] = [
  {
    pattern: /^Warning: Couldn't load Vulkan/,
    note:
      'wgbench: no Vulkan loader (libvulkan.so.1) here, so no Vulkan adapter (a GPU driver, lavapipe, ' +
      'SwiftShader); the next adapter is used. For those: apt-get install libvulkan1 and a driver (wgbench ' +
      'probe says which)',
  },
  {
    pattern: /^(Warning: (vkCreateInstance|loader_|vkEnumeratePhysicalDevices)|Error: Loader Message:)/,
    note: 'wgbench: the Vulkan loader found no usable driver here; the next adapter is used (wgbench probe says which)',
  },
];

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
  return (
    `wgbench: Dawn caps dynamic-offset buffers per pipeline layout below what this driver reports (${list}); ` +
    `wgbench binds no buffers with dynamic offsets, so no result is affected\n`
  );
}

export function createStderrFilter(): StderrFilter {
  let held = '';
  const limits = new Map<string, string>();
  let noted = false;
  let pendingNote = false;
  const loaderNoted = new Set<string>();
  let inTrace = false;
  const flushNote = (): string => {
    if (!pendingNote) return '';
    pendingNote = false;
    noted = true;
    return note(limits);
  };
  const line = (text: string): string => {
    // The native stack line and blank line that follow a folded warning go with it.
    if (inTrace && (/^\s+at /.test(text) || text.trim() === '')) return '';
    inTrace = false;
    const loader = LOADER_NOTES.find((n) => n.pattern.test(text));
    if (loader !== undefined) {
      inTrace = true;
      if (loaderNoted.has(loader.note)) return '';
      loaderNoted.add(loader.note);
      return `${flushNote()}${loader.note}\n`;
    }
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
      if (held !== '' && !PREFIXES.some((p) => held.startsWith(p) || p.startsWith(held))) {
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
