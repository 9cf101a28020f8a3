// k6 gives scripts a console (log, info, warn, error, debug) that @types/k6 0.48 does not declare. Declared here
// rather than by TypeScript's "dom" library, which would also declare fetch, setTimeout and the rest of a browser
// that k6 v0.48 does not have.
declare const console: {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
};
