import { describe, expect, it } from 'vitest';
import { emptyNetworkDraft, networkDraftFrom, networkIsSet, validateNetwork } from '../src/lib/network-form';
import type { FormErrors } from '../src/lib/form';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

describe('network section', () => {
  it('keeps a stored key without ever holding it', () => {
    const d = networkDraftFrom({ proxy: 'http://••••@p:3128/', caCertificates: CERT, clientCertificate: CERT, clientKey: 'x', hasStoredKey: true });
    expect(d.clientKey).toBe('');
    expect(networkIsSet(d)).toBe(true);
    const errors: FormErrors = {};
    const form = validateNetwork(d, errors);
    expect(errors).toEqual({});
    expect(form.clientKey).toBe('');
    expect(form.hasStoredKey).toBe(true);
  });

  it('refuses other proxy schemes, text that is not PEM and a certificate without a key', () => {
    const errors: FormErrors = {};
    validateNetwork({ ...emptyNetworkDraft(), proxy: 'ftp://p:21', caCertificates: 'hello', clientCertificate: CERT }, errors);
    expect(errors.proxy).toMatch(/socks5/);
    expect(errors.caCertificates).toMatch(/PEM/);
    expect(errors.clientKey).toMatch(/private key/);
    expect(networkIsSet(emptyNetworkDraft())).toBe(false);
  });
});
