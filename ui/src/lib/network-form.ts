// The form's "Network" section as the user edits it: the subscription's own proxy, extra CA
// certificates and client certificate + key. The key behaves like a secret header's value: it
// never comes from the shell; left empty with a stored key, the stored one is kept.
import type { NetworkForm } from './bindings';
/** Messages by field key (the form's FormErrors). */
type FormErrors = Partial<Record<string, string>>;

export interface NetworkDraft {
  proxy: string;
  caCertificates: string;
  clientCertificate: string;
  /** A new key (pasted or read from a file); empty keeps the stored one. */
  clientKey: string;
  hasStoredKey: boolean;
}

/** The error keys of the section, as the shell names its fields. */
export const NETWORK_FIELDS = ['proxy', 'caCertificates', 'clientCertificate', 'clientKey'] as const;

const PROXY_SCHEMES = ['http:', 'https:', 'socks5:', 'socks5h:'];

export function emptyNetworkDraft(): NetworkDraft {
  return { proxy: '', caCertificates: '', clientCertificate: '', clientKey: '', hasStoredKey: false };
}

export function networkDraftFrom(f: NetworkForm | undefined): NetworkDraft {
  if (!f) return emptyNetworkDraft();
  return { ...f, clientKey: '' };
}

/** Whether anything differs from the defaults (the section then opens by itself). */
export function networkIsSet(d: NetworkDraft): boolean {
  return d.proxy.trim() !== '' || d.caCertificates.trim() !== '' || d.clientCertificate.trim() !== '' || d.hasStoredKey;
}

/** Checks what can be checked here; the shell checks the certificates themselves again. */
export function validateNetwork(d: NetworkDraft, errors: FormErrors): NetworkForm {
  const proxy = d.proxy.trim();
  if (proxy !== '') {
    let scheme: string | null = null;
    try {
      scheme = new URL(proxy).protocol;
    } catch {
      errors.proxy = 'A proxy URL such as http://proxy.example:3128 or socks5://127.0.0.1:1080.';
    }
    if (scheme !== null && !PROXY_SCHEMES.includes(scheme)) {
      errors.proxy = 'The proxy must start with http://, https://, socks5:// or socks5h://.';
    }
  }
  const pem = (text: string) => text.trim() === '' || text.includes('-----BEGIN ');
  if (!pem(d.caCertificates)) errors.caCertificates = 'Paste PEM certificates (-----BEGIN CERTIFICATE-----) or choose a .pem file.';
  if (!pem(d.clientCertificate)) errors.clientCertificate = 'Paste a PEM certificate or choose its file.';
  if (!pem(d.clientKey)) errors.clientKey = 'Paste a PEM private key or choose its file (it is not shown).';
  const cert = d.clientCertificate.trim() !== '';
  const key = d.clientKey.trim() !== '' || d.hasStoredKey;
  if (cert && !key) errors.clientKey = 'A client certificate needs its private key.';
  if (!cert && d.clientKey.trim() !== '') errors.clientCertificate = 'A client key needs its certificate.';
  return {
    proxy,
    caCertificates: d.caCertificates.trim(),
    clientCertificate: d.clientCertificate.trim(),
    clientKey: d.clientKey.trim(),
    hasStoredKey: d.hasStoredKey,
  };
}
