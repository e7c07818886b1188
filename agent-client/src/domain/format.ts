/** Durations and times in French, short enough for a queue row. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${String(rest).padStart(2, '0')}`;
}

export function formatTime(ts: number): string {
  const date = new Date(ts);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

export function formatAgo(ts: number, now: number): string {
  const ms = now - ts;
  if (ms < 45_000) return "à l'instant";
  return `il y a ${formatDuration(ms)}`;
}

/** "28/11 à 16:42", for records that may be a few days old. */
export function formatDateTime(ts: number): string {
  const date = new Date(ts);
  return `${String(date.getDate()).padStart(2, '0')}/${String(date.getMonth() + 1).padStart(2, '0')} à ${formatTime(ts)}`;
}
