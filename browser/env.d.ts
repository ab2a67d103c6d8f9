/// <reference types="vite/client" />
/** The package version, injected by vite.config.ts. */
declare const __WGBENCH_VERSION__: string;
