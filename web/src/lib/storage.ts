/** Remembered settings (localStorage), tolerant of browsers that refuse storage. */
const PREFIX = 'chatter.';

export function load(key: string): string | null {
  try {
    return localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

export function save(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(PREFIX + key);
    else localStorage.setItem(PREFIX + key, value);
  } catch {
    // private mode, quota: not remembering is fine
  }
}
