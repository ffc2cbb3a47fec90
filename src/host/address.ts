/** host[:port] on this machine's loopback (127.0.0.0/8, localhost, [::1]): reachable only from the host's own network namespace. */
export function isLoopbackHost(hostPort: string): boolean {
  const host = hostPort.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
