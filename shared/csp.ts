// The one Content-Security-Policy of TrailCase's UI, whichever transport serves
// it: the desktop app's trailcase:// protocol (electron/main/security.ts) and
// the loopback browser host (electron/host/server.ts), so the UI tested in
// Chromium through the host runs under exactly the policy the app enforces.
// script-src 'self': only the bundled scripts - no inline script, no eval,
// nothing remote (the renderer has no inline script or style).
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "frame-src 'none'",
  "child-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
