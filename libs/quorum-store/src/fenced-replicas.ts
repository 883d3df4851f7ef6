/**
 * Which replicas this store knows to hold its latest fence, per domain. A fenced read asks only
 * those (installing the fence first on any other), so it remembers every ack of an installation,
 * late ones included: in steady state every replica is known and a fenced read costs no more than
 * a plain one. Only moves forward: an ack for an older token than the one known is ignored.
 */
export class FencedReplicas {
  private readonly byDomain = new Map<string, { token: number; replicas: Set<string> }>();

  /** `replica` acknowledged `token` as the domain's fence. */
  acked(domain: string, token: number, replica: string): void {
    const known = this.byDomain.get(domain);
    if (known === undefined || known.token < token) {
      this.byDomain.set(domain, { token, replicas: new Set([replica]) });
    } else if (known.token === token) known.replicas.add(replica);
  }

  holds(domain: string, token: number, replica: string): boolean {
    const known = this.byDomain.get(domain);
    return known?.token === token && known.replicas.has(replica);
  }
}
