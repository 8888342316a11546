/**
 * Tests for lib/modules/vcard_legacy/avatar and image-size: XEP-0084 data and metadata from
 * a vcard-temp PHOTO and back, the SHA-1 id, strict base64, image dimensions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { xml, serialize } from '../../../lib/core/xml.js';
import {
  avatarFromPhoto, avatarOf, dataPayload, decodeBase64, infoOf, metadataPayload, photoOf, NS_AVATAR_METADATA,
} from '../../../lib/modules/vcard_legacy/avatar.js';
import { imageSize } from '../../../lib/modules/vcard_legacy/image-size.js';

/** A 1x1 PNG (the smallest valid one) and its SHA-1. */
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const PNG_SHA1 = createHash('sha1').update(PNG_1X1).digest('hex');

describe('avatar (XEP-0084) from and to a vcard-temp PHOTO', () => {
  it('hashes the bytes of BINVAL, keeps TYPE, reads the dimensions', () => {
    const wrapped = PNG_1X1.toString('base64').replace(/(.{20})/g, '$1\n');
    const avatar = avatarFromPhoto(xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, wrapped)));
    assert.ok(avatar && avatar !== 'bad-request');
    assert.equal(avatar.id, PNG_SHA1);
    assert.equal(avatar.bytes, PNG_1X1.length);
    assert.equal(avatar.type, 'image/png');
    assert.equal(avatar.base64, PNG_1X1.toString('base64'), 'whitespace removed');
    assert.deepEqual([avatar.width, avatar.height], [1, 1]);
  });

  it('builds the data and metadata payloads', () => {
    const avatar = avatarOf(PNG_1X1, undefined);
    assert.equal(avatar.type, 'image/png', 'type sniffed when absent');
    assert.equal(serialize(dataPayload(avatar)), `<data xmlns="urn:xmpp:avatar:data">${PNG_1X1.toString('base64')}</data>`);
    assert.equal(serialize(metadataPayload(avatar)),
      `<metadata xmlns="${NS_AVATAR_METADATA}"><info bytes="${PNG_1X1.length}" id="${PNG_SHA1}" type="image/png" width="1" height="1"/></metadata>`);
  });

  it('refuses BINVAL that is not base64, ignores a PHOTO without BINVAL', () => {
    assert.equal(avatarFromPhoto(xml('PHOTO', {}, xml('BINVAL', {}, 'not base64!'))), 'bad-request');
    assert.equal(avatarFromPhoto(xml('PHOTO', {}, xml('BINVAL', {}, 'QUJD='))), 'bad-request', 'bad padding');
    assert.equal(avatarFromPhoto(xml('PHOTO', {}, xml('EXTVAL', {}, 'https://example.org/a.png'))), undefined);
    assert.equal(decodeBase64('QUJD')!.toString(), 'ABC');
  });

  it('makes PHOTO from data (BINVAL) or from the metadata url (EXTVAL)', () => {
    const info = xml('info', { id: 'x', type: 'image/jpeg', url: 'https://example.org/a.jpg' });
    assert.equal(serialize(photoOf(info, 'QUJD')!), '<PHOTO><TYPE>image/jpeg</TYPE><BINVAL>QUJD</BINVAL></PHOTO>');
    assert.equal(serialize(photoOf(info, undefined)!), '<PHOTO><TYPE>image/jpeg</TYPE><EXTVAL>https://example.org/a.jpg</EXTVAL></PHOTO>');
    assert.equal(photoOf(undefined, undefined), undefined);
  });

  it('picks the info of the data item from several formats', () => {
    const meta = xml('metadata', { xmlns: NS_AVATAR_METADATA }, xml('info', { id: 'a', type: 'image/png' }), xml('info', { id: 'b', type: 'image/webp' }));
    assert.equal(infoOf(meta, 'b')!.attrs.type, 'image/webp');
    assert.equal(infoOf(meta)!.attrs.id, 'a');
    assert.equal(infoOf(xml('metadata', { xmlns: NS_AVATAR_METADATA })), undefined);
  });
});

describe('image-size', () => {
  it('reads PNG, GIF, JPEG and WebP headers', () => {
    assert.deepEqual(imageSize(PNG_1X1), { type: 'image/png', width: 1, height: 1 });
    const gif = Buffer.from('GIF89a\x40\x01\xf0\x00', 'latin1');
    assert.deepEqual(imageSize(gif), { type: 'image/gif', width: 320, height: 240 });
    // SOI, an APP0 segment of 4 bytes, then SOF0 with height 48, width 64
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x30, 0x00, 0x40, 0x03, 0, 0, 0, 0]);
    assert.deepEqual(imageSize(jpeg), { type: 'image/jpeg', width: 64, height: 48 });
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'latin1'); webp.write('WEBPVP8X', 8, 'latin1');
    webp.writeUIntLE(99, 24, 3); webp.writeUIntLE(49, 27, 3);
    assert.deepEqual(imageSize(webp), { type: 'image/webp', width: 100, height: 50 });
  });

  it('gives undefined for unknown or truncated data', () => {
    assert.equal(imageSize(Buffer.from('hello world')), undefined);
    assert.equal(imageSize(PNG_1X1.subarray(0, 20)), undefined);
    assert.equal(imageSize(Buffer.from([0xff, 0xd8, 0x00, 0x00])), undefined);
  });
});
