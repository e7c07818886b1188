import { alertText, type Alert } from '../domain/notify.ts';

let audio: AudioContext | undefined;

/** A soft two-note chime (no audio file to ship); urgent plays it twice. */
function chime(urgent: boolean): void {
  try {
    audio ??= new AudioContext();
    const start = audio.currentTime;
    const notes = urgent ? [660, 880, 660, 880] : [523, 784];
    notes.forEach((frequency, index) => {
      if (!audio) return;
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = 'sine';
      oscillator.frequency.value = frequency;
      const at = start + index * 0.18;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.17);
    });
  } catch {
    // No audio device, or the browser refused before any user gesture: the visual alert remains.
  }
}

export function notificationsPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

export async function askNotificationPermission(): Promise<void> {
  if (typeof Notification !== 'undefined' && Notification.permission === 'default')
    await Notification.requestPermission();
}

/**
 * Sound and desktop notification for new or newly urgent waiting conversations, disclosures to decide, and new
 * messages in the agent's own conversations. The notification names a ticket, never what was written.
 */
export function announce(alerts: Alert[]): void {
  if (alerts.length === 0) return;
  chime(alerts.some((alert) => alert.kind === 'urgent' || alert.kind === 'disclosure' || alert.urgent === true));
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  for (const alert of alerts) {
    const { title, body } = alertText(alert);
    const prefix = alert.kind === 'disclosure' ? 'disclosure-' : alert.kind === 'message' ? 'message-' : '';
    const stays = alert.kind === 'urgent' || alert.kind === 'disclosure' || alert.urgent === true;
    const notification = new Notification(title, {
      body,
      tag: `espace-${prefix}${alert.roomId}`,
      requireInteraction: stays,
    });
    notification.onclick = () => window.focus();
  }
}
