import { describe, expect, it } from 'vitest';
import {
  checkEvidenceFile,
  EVIDENCE_CHECK_MESSAGES,
  EVIDENCE_CONTENT_KEY,
  EVIDENCE_MAX_BYTES,
  evidenceHash,
  evidenceLineText,
  mediaDownloadUrl,
  shortHash,
} from './evidence.ts';

describe('checkEvidenceFile', () => {
  it('accepts JPEG, PNG and WebP up to 8 Mo', () => {
    expect(checkEvidenceFile({ type: 'image/png', size: 10 })).toBeUndefined();
    expect(checkEvidenceFile({ type: 'image/jpeg', size: EVIDENCE_MAX_BYTES })).toBeUndefined();
    expect(checkEvidenceFile({ type: 'image/jpg', size: 10 })).toBeUndefined();
    expect(checkEvidenceFile({ type: 'image/webp', size: 10 })).toBeUndefined();
  });

  it('refuses other types, empty files and files over the limit, kindly', () => {
    expect(checkEvidenceFile({ type: 'application/pdf', size: 10 })).toBe(EVIDENCE_CHECK_MESSAGES.type);
    expect(checkEvidenceFile({ type: '', size: 10 })).toBe(EVIDENCE_CHECK_MESSAGES.type);
    expect(checkEvidenceFile({ type: 'image/gif', size: 10 })).toBe(EVIDENCE_CHECK_MESSAGES.type);
    expect(checkEvidenceFile({ type: 'image/png', size: 0 })).toBe(EVIDENCE_CHECK_MESSAGES.empty);
    expect(checkEvidenceFile({ type: 'image/png', size: EVIDENCE_MAX_BYTES + 1 })).toBe(EVIDENCE_CHECK_MESSAGES.size);
  });
});

describe('evidence content', () => {
  const sha256 = '0123456789abcdef'.repeat(4);

  it('reads the hash of the stored image, and only a well-formed one', () => {
    expect(evidenceHash({ [EVIDENCE_CONTENT_KEY]: { sha256 } })).toBe(sha256);
    expect(evidenceHash({ [EVIDENCE_CONTENT_KEY]: { sha256: 'x' } })).toBeUndefined();
    expect(evidenceHash({})).toBeUndefined();
  });

  it('shows a short hash', () => {
    expect(shortHash(sha256)).toBe('01234567');
    expect(evidenceLineText(sha256)).toBe('Capture d’écran envoyée (empreinte 01234567)');
  });
});

describe('mediaDownloadUrl', () => {
  it('builds the authenticated download URL of an mxc URI', () => {
    expect(mediaDownloadUrl('http://hs:8008/', 'mxc://hs.example:8448/AbC_d-1')).toBe(
      'http://hs:8008/_matrix/client/v1/media/download/hs.example%3A8448/AbC_d-1',
    );
  });

  it('refuses anything else', () => {
    for (const bad of ['https://evil/x.png', 'mxc://hs/../admin', 'mxc://hs/a/b', 'mxc://hs/', 'mxc:///id'])
      expect(mediaDownloadUrl('http://hs', bad)).toBeUndefined();
  });
});
