/** `trusted_networks` (CIDRs) as a matcher; a bad entry throws naming it (start-up stops). */
import { BlockList, isIP } from 'node:net'

export type TrustedNetworks = (address: string) => boolean

export function trustedNetworks(cidrs: readonly string[]): TrustedNetworks {
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [net, bits] = cidr.split('/')
    const family = isIP(net)
    if (family === 0) throw new TypeError(`trusted_networks: "${cidr}" is not an address or CIDR`)
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(net, type)
    else {
      const prefix = Number(bits)
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) throw new TypeError(`trusted_networks: "${cidr}" has a bad prefix length`)
      list.addSubnet(net, prefix, type)
    }
  }
  return (address) => {
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
    const family = isIP(plain)
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4')
  }
}
