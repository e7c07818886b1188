import type { PublicStatus } from '@espace-mineurs/protocol';
import { FORCE_LABEL } from '@espace-mineurs/protocol/names';

/** What the waiting panel says about the conversation, in words for an 11–17-year-old. */
export interface StatusText {
  headline: string;
  detail?: string;
  waiting: boolean;
}

export function formatWait(seconds: number): string {
  if (seconds < 60) return 'moins d’une minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? 'environ 1 minute' : `environ ${minutes} minutes`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const hoursText = hours === 1 ? '1 heure' : `${hours} heures`;
  return rest === 0 ? `environ ${hoursText}` : `environ ${hoursText} ${rest}`;
}

function ordinal(position: number): string {
  return position === 1 ? '1re' : `${position}e`;
}

export function describeStatus(status: PublicStatus | undefined): StatusText {
  if (!status) return { headline: 'Connexion en cours…', waiting: true };
  switch (status.state) {
    case 'triage':
      return {
        headline: 'Quelques questions avant de te mettre en relation',
        detail: 'Tu peux répondre avec les boutons ou en écrivant.',
        waiting: false,
      };
    case 'queued': {
      if (status.agentJoined || status.agentPseudonym) {
        return { headline: 'Quelqu’un arrive pour te répondre', waiting: true };
      }
      const force = status.force ? ` (${FORCE_LABEL[status.force]})` : '';
      const headline =
        status.position === undefined
          ? `Tu es dans la file d’attente${force}`
          : status.position === 1
            ? `Tu es la prochaine personne à qui on va répondre${force}`
            : `Tu es ${ordinal(status.position)} dans la file d’attente${force}`;
      const detail =
        status.estimatedWaitSeconds === undefined
          ? 'Reste sur cette page : on te répond dès que possible.'
          : `Temps d’attente estimé : ${formatWait(status.estimatedWaitSeconds)}.`;
      return { headline, detail, waiting: true };
    }
    case 'assigned':
      return {
        headline: status.agentPseudonym
          ? `Tu parles avec ${status.agentPseudonym}`
          : 'Tu parles avec un policier ou un gendarme',
        waiting: false,
      };
    case 'closed':
    case 'abandoned':
      return { headline: 'La conversation est terminée', waiting: false };
  }
}

export function isFinished(status: PublicStatus | undefined): boolean {
  return status?.state === 'closed' || status?.state === 'abandoned';
}
