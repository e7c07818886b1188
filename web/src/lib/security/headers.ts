/**
 * Headers every response carries. Permissions-Policy turns off every powerful feature: the site never needs
 * the camera, microphone, location or payment, and a young person must not be asked for them.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': [
    'accelerometer=()',
    'autoplay=()',
    'camera=()',
    'display-capture=()',
    'geolocation=()',
    'gyroscope=()',
    'magnetometer=()',
    'microphone=()',
    'midi=()',
    'payment=()',
    'usb=()',
    'browsing-topics=()',
  ].join(', '),
};

/**
 * Paths that must never be stored by the browser or a proxy: the chat page and its data. A shared family
 * computer must not be able to show the conversation from its cache.
 */
export function isNoStorePath(pathname: string): boolean {
  return pathname === '/chat' || pathname.startsWith('/chat/');
}
