// SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
/*
 * The invariant CRC of RoCE v2 packets (IBTA annex A17): a CRC-32 (the
 * Ethernet polynomial, crc32_le) over the packet from the IP header to
 * the end of the pad, with the fields that routers may change set to all
 * ones, preceded by the 8 bytes of all ones that stand for the Local
 * Route Header RoCE v2 does not carry. It goes on the wire least
 * significant byte first.
 *
 * Masked (the invariant part is the rest):
 *  - IPv4: type of service, time to live, header checksum;
 *  - IPv6: traffic class, flow label, hop limit;
 *  - UDP: checksum;
 *  - BTH: the byte of FECN, BECN and the reserved bits before the QP.
 *
 * A receiver that checks it drops what a switch or a buggy sender
 * corrupted; a sender that gets it wrong has every packet dropped by rxe
 * and by RoCE NICs.
 */
#include <linux/crc32.h>
#include <linux/errno.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/string.h>
#include <linux/udp.h>
#include <kunit/visibility.h>

#include "dmr_hdr.h"

/* crc32_le's state after the 8 bytes of all ones (the masked LRH). */
#define DMR_ICRC_SEED 0xdebb20e3

int dmr_icrc_begin(const void *l3, size_t len, u32 *crc, size_t *hdr_len)
{
	u8 hdr[sizeof(struct ipv6hdr) + sizeof(struct udphdr) +
	       sizeof(struct dmr_bth)];
	size_t ip_len, n;
	struct udphdr *udp;
	struct dmr_bth *bth;
	const u8 *p = l3;

	if (len < sizeof(struct iphdr))
		return -EINVAL;
	switch (p[0] >> 4) {
	case 4: {
		const struct iphdr *ip = l3;

		/* Options are invariant, but RoCE v2 sends none. */
		ip_len = ip->ihl * 4;
		if (ip_len != sizeof(struct iphdr) || ip->protocol != IPPROTO_UDP)
			return -EINVAL;
		break;
	}
	case 6:
		/* No extension headers: UDP follows at once. */
		ip_len = sizeof(struct ipv6hdr);
		if (len < ip_len ||
		    ((const struct ipv6hdr *)l3)->nexthdr != IPPROTO_UDP)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	n = ip_len + sizeof(struct udphdr) + sizeof(struct dmr_bth);
	if (len < n)
		return -EINVAL;

	memcpy(hdr, l3, n);
	if (ip_len == sizeof(struct iphdr)) {
		struct iphdr *ip = (struct iphdr *)hdr;

		ip->tos = 0xff;
		ip->ttl = 0xff;
		ip->check = (__force __sum16)0xffff;
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)hdr;

		ip6->priority = 0xf;
		memset(ip6->flow_lbl, 0xff, sizeof(ip6->flow_lbl));
		ip6->hop_limit = 0xff;
	}
	udp = (struct udphdr *)(hdr + ip_len);
	udp->check = (__force __sum16)0xffff;
	bth = (struct dmr_bth *)(udp + 1);
	bth->qpn |= cpu_to_be32(~DMR_BTH_QPN);

	*crc = crc32_le(DMR_ICRC_SEED, hdr, n);
	*hdr_len = n;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dmr_icrc_begin);

u32 dmr_icrc_update(u32 crc, const void *data, size_t len)
{
	return crc32_le(crc, data, len);
}
EXPORT_SYMBOL_IF_KUNIT(dmr_icrc_update);

__le32 dmr_icrc_final(u32 crc)
{
	return cpu_to_le32(~crc);
}
EXPORT_SYMBOL_IF_KUNIT(dmr_icrc_final);

int dmr_icrc(const void *l3, size_t len, __le32 *icrc)
{
	size_t hdr_len;
	u32 crc;
	int err;

	err = dmr_icrc_begin(l3, len, &crc, &hdr_len);
	if (err)
		return err;
	crc = dmr_icrc_update(crc, (const u8 *)l3 + hdr_len, len - hdr_len);
	*icrc = dmr_icrc_final(crc);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dmr_icrc);
