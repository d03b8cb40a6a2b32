import pino, { type Logger } from 'pino';

/**
 * The servers' logger: JSON lines (pino) for machines, or readable lines when standard
 * output is a terminal. `C2_LOG_LEVEL` sets the level (default info).
 */
export function createLogger(name: string): Logger {
  const level = process.env.C2_LOG_LEVEL ?? 'info';
  const pretty = process.stdout.isTTY && process.env.C2_LOG_FORMAT !== 'json';
  if (pretty) {
    return pino({
      name,
      level,
      transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname', translateTime: 'HH:MM:ss' } },
    });
  }
  return pino({ name, level });
}
