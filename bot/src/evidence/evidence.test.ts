import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  evidenceMessage,
  receiveEvidence,
  sanitiseEvidence,
  sha256,
  sniffImageType,
  type SanitisedEvidence,
} from './evidence.ts';

const XMP =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Jean Dupont</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>';
const GPS = {
  GPSLatitudeRef: 'N',
  GPSLatitude: '48/1 51/1 2400/100',
  GPSLongitudeRef: 'E',
  GPSLongitude: '2/1 21/1 300/100',
};

function base(width = 40, height = 30) {
  return sharp({ create: { width, height, channels: 3, background: '#3a7' } });
}

/** JPEG markers before the image data (APP1 = EXIF/XMP, APP2 = ICC, COM = comment). */
function jpegMarkers(bytes: Buffer): number[] {
  const markers: number[] = [];
  let offset = 2;
  while (offset + 4 <= bytes.length && bytes[offset] === 0xff) {
    const marker = bytes[offset + 1]!;
    if (marker === 0xda) break;
    markers.push(marker);
    offset += 2 + bytes.readUInt16BE(offset + 2);
  }
  return markers;
}

function pngChunks(bytes: Buffer): string[] {
  const chunks: string[] = [];
  for (let offset = 8; offset + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(offset);
    chunks.push(bytes.toString('latin1', offset + 4, offset + 8));
    offset += 12 + length;
  }
  return chunks;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])) >>> 0);
  return Buffer.concat([head, data, crc]);
}

/** A hand-built TIFF/EXIF block whose IFD0 points (tag 0x8825) to a GPS IFD with a latitude reference. */
function exifWithGps(): Buffer {
  const tiff = Buffer.alloc(44);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8); // IFD0: one entry
  tiff.writeUInt16BE(0x8825, 10); // GPSInfo pointer
  tiff.writeUInt16BE(4, 12); // LONG
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt32BE(26, 18); // GPS IFD offset
  tiff.writeUInt32BE(0, 22); // no next IFD
  tiff.writeUInt16BE(1, 26); // GPS IFD: one entry
  tiff.writeUInt16BE(0x0001, 28); // GPSLatitudeRef
  tiff.writeUInt16BE(2, 30); // ASCII
  tiff.writeUInt32BE(2, 32);
  tiff.write('N\0', 36, 'latin1');
  tiff.writeUInt32BE(0, 40);
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

function hasGpsPointer(exif: Buffer): boolean {
  const tiff = exif.subarray(exif.indexOf('MM') >= 0 ? exif.indexOf('MM') : exif.indexOf('II'));
  const big = tiff.toString('latin1', 0, 2) === 'MM';
  const u16 = (at: number) => (big ? tiff.readUInt16BE(at) : tiff.readUInt16LE(at));
  const u32 = (at: number) => (big ? tiff.readUInt32BE(at) : tiff.readUInt32LE(at));
  const ifd = u32(4);
  for (let entry = 0; entry < u16(ifd); entry++) if (u16(ifd + 2 + entry * 12) === 0x8825) return true;
  return false;
}

function jpegSegment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

async function accepted(input: Buffer, declared: string): Promise<SanitisedEvidence> {
  const result = await sanitiseEvidence(input, declared);
  if (!result.ok) throw new Error(`refused: ${result.code}`);
  return result.evidence;
}

async function expectNoMetadata(evidence: SanitisedEvidence): Promise<void> {
  const meta = await sharp(evidence.bytes).metadata();
  expect(meta.exif).toBeUndefined();
  expect(meta.xmp).toBeUndefined();
  expect(meta.icc).toBeUndefined();
  expect(meta.comments).toBeUndefined();
  for (const needle of ['Exif\0\0', 'Jean Dupont', 'ns.adobe.com', 'secret', 'GPS'])
    expect(evidence.bytes.includes(Buffer.from(needle, 'latin1'))).toBe(false);
  expect(evidence.sha256).toBe(sha256(evidence.bytes));
}

describe('sanitiseEvidence', () => {
  it('removes EXIF with GPS, XMP and the ICC profile from a JPEG; the hash is that of the stored bytes', async () => {
    const input = await base()
      .withExif({ IFD0: { Copyright: 'secret', Artist: 'Jean Dupont' }, IFD3: GPS })
      .withXmp(XMP)
      .withIccProfile('p3')
      .jpeg()
      .toBuffer();
    const before = await sharp(input).metadata();
    expect(before.exif && before.xmp && before.icc).toBeTruthy();
    expect(hasGpsPointer(before.exif!)).toBe(true);
    const evidence = await accepted(input, 'image/jpeg');
    await expectNoMetadata(evidence);
    expect(jpegMarkers(evidence.bytes).filter((marker) => marker >= 0xe1 && marker <= 0xef)).toEqual([]);
    expect(evidence).toMatchObject({
      mimetype: 'image/jpeg',
      width: 40,
      height: 30,
      receivedSha256: sha256(input),
      declaredMismatch: false,
    });
    expect(evidence.sha256).not.toBe(evidence.receivedSha256);
  });

  it('removes a hand-inserted EXIF GPS block and a JPEG comment', async () => {
    const plain = await base().jpeg().toBuffer();
    const input = Buffer.concat([
      plain.subarray(0, 2),
      jpegSegment(0xe1, exifWithGps()),
      jpegSegment(0xfe, Buffer.from('position 48.85,2.35', 'latin1')),
      plain.subarray(2),
    ]);
    const before = await sharp(input).metadata();
    expect(hasGpsPointer(before.exif!)).toBe(true);
    expect(jpegMarkers(input)).toContain(0xfe);
    const evidence = await accepted(input, 'image/jpeg');
    await expectNoMetadata(evidence);
    expect(jpegMarkers(evidence.bytes).some((marker) => marker === 0xe1 || marker === 0xfe)).toBe(false);
    expect(evidence.bytes.includes(Buffer.from('48.85'))).toBe(false);
  });

  it('removes eXIf, text and ICC chunks from a PNG', async () => {
    const plain = await base().png().toBuffer();
    const ihdrEnd = 8 + 12 + plain.readUInt32BE(8);
    const input = Buffer.concat([
      plain.subarray(0, ihdrEnd),
      pngChunk('eXIf', exifWithGps().subarray(6)),
      pngChunk('tEXt', Buffer.from('Comment\0Jean Dupont, 12 rue X', 'latin1')),
      plain.subarray(ihdrEnd),
    ]);
    expect(pngChunks(input)).toEqual(expect.arrayContaining(['eXIf', 'tEXt']));
    const evidence = await accepted(input, 'image/png');
    await expectNoMetadata(evidence);
    expect(
      pngChunks(evidence.bytes).filter((chunk) => ['eXIf', 'tEXt', 'iTXt', 'zTXt', 'iCCP', 'tIME'].includes(chunk)),
    ).toEqual([]);
    expect(evidence.mimetype).toBe('image/png');
  });

  it('removes EXIF and XMP from a WebP', async () => {
    const input = await base()
      .withExif({ IFD0: { Artist: 'Jean Dupont' }, IFD3: GPS })
      .withXmp(XMP)
      .webp()
      .toBuffer();
    expect((await sharp(input).metadata()).exif).toBeDefined();
    const evidence = await accepted(input, 'image/webp');
    await expectNoMetadata(evidence);
    expect(evidence.bytes.includes(Buffer.from('EXIF'))).toBe(false);
    expect(evidence.mimetype).toBe('image/webp');
  });

  it('applies the EXIF orientation before removing it, so the image stays upright', async () => {
    const input = await base(40, 30).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const evidence = await accepted(input, 'image/jpeg');
    expect([evidence.width, evidence.height]).toEqual([30, 40]);
    expect((await sharp(evidence.bytes).metadata()).orientation).toBeUndefined();
  });

  it('trusts the bytes, not the declared type', async () => {
    const png = await base().png().toBuffer();
    const evidence = await accepted(png, 'image/jpeg');
    expect(evidence).toMatchObject({ mimetype: 'image/png', declaredMismatch: true });
    expect(sniffImageType(Buffer.from('GIF89a'))).toBeUndefined();
  });

  it('refuses with a clear French message: empty, too large, not an image, wrong type, corrupt, too many pixels', async () => {
    const jpeg = await base().jpeg().toBuffer();
    const cases: Array<[Buffer, string, string, { maxBytes: number; maxPixels: number }?]> = [
      [Buffer.alloc(0), 'image/png', 'EMPTY'],
      [jpeg, 'image/jpeg', 'TOO_LARGE', { maxBytes: 100, maxPixels: 1e6 }],
      [Buffer.from('%PDF-1.7 ...'), 'application/pdf', 'UNSUPPORTED_TYPE'],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml', 'UNSUPPORTED_TYPE'],
      [Buffer.from('bonjour, ceci est du texte'), 'image/png', 'NOT_AN_IMAGE'],
      [Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'image/gif', 'UNSUPPORTED_TYPE'],
      [jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'image/jpeg', 'CORRUPT'],
      [Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 0x41)]), 'image/jpeg', 'CORRUPT'],
      [
        Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]),
        'image/png',
        'CORRUPT',
      ],
      [jpeg, 'image/jpeg', 'TOO_MANY_PIXELS', { maxBytes: 1e6, maxPixels: 100 }],
    ];
    for (const [input, declared, code, limits] of cases) {
      const result = await sanitiseEvidence(input, declared, limits);
      expect(result, code).toMatchObject({ ok: false, code });
      if (!result.ok) expect(result.message).toMatch(/[a-zé]/);
    }
  });
});

describe('receiveEvidence', () => {
  it('uploads the sanitised bytes only, and nothing when refused', async () => {
    const uploads: Array<{ bytes: Buffer; type: string; name: string }> = [];
    const upload = async (bytes: Buffer, type: string, name: string) => {
      uploads.push({ bytes, type, name });
      return 'mxc://test/abc';
    };
    const input = await base().withExif({ IFD3: GPS }).jpeg().toBuffer();
    const result = await receiveEvidence(upload, input, 'image/jpeg', Date.UTC(2026, 10, 28, 15, 4, 5));
    if (!result.ok) throw new Error(result.code);
    expect(uploads).toHaveLength(1);
    expect(sha256(uploads[0]!.bytes)).toBe(result.stored.sha256);
    expect(uploads[0]!.name).toBe('preuve-20261128150405.jpg');
    expect(evidenceMessage(result.stored)).toMatchObject({
      msgtype: 'm.image',
      url: 'mxc://test/abc',
      'fr.espace-mineurs.evidence': { sha256: result.stored.sha256 },
    });
    expect(await receiveEvidence(upload, Buffer.from('nope'), 'image/png', 0)).toMatchObject({
      ok: false,
      code: 'NOT_AN_IMAGE',
    });
    expect(uploads).toHaveLength(1);
  });
});
