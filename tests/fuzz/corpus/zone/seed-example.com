; example.com: demo zone for dpdns.
; Origin = file name minus ".zone".  Documentation addresses only
; (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32).
$ORIGIN example.com.
$TTL 3600

@		IN SOA	ns1.example.com. hostmaster.example.com. (
			2024060101	; serial
			7200		; refresh
			3600		; retry
			1209600		; expire
			300 )		; negative-caching TTL

		IN NS	ns1.example.com.
		IN NS	ns2.example.com.
		IN MX	10 mail.example.com.
		IN MX	20 mail2.example.com.
		IN TXT	"v=spf1 mx -all"
		IN CAA	0 issue "letsencrypt.org"
		IN CAA	0 iodef "mailto:security@example.com"
		IN A	192.0.2.1
		IN AAAA	2001:db8::1

; name servers (in-zone, with their addresses)
ns1		IN A	192.0.2.53
		IN AAAA	2001:db8::53
ns2		IN A	198.51.100.53
		IN AAAA	2001:db8:1::53

; mail
mail		IN A	192.0.2.25
		IN AAAA	2001:db8::25
mail2		IN A	198.51.100.25

; web: www -> web -> the address records (a CNAME chain)
www		IN CNAME web
web		IN CNAME web1
web1	300	IN A	192.0.2.80
	300	IN A	192.0.2.81
	300	IN AAAA	2001:db8::80

; anything else under example.com answers with the web server
*		IN A	192.0.2.80
*		IN TXT	"wildcard"

; service records
_sip._udp	IN SRV	10 60 5060 sip.example.com.
_sip._tcp	IN SRV	10 60 5060 sip.example.com.
sip		IN A	192.0.2.60
_xmpp-server._tcp IN SRV 5 0 5269 xmpp.example.com.
xmpp		IN A	192.0.2.61

; delegation of sub.example.com with glue (ns.sub is in-bailiwick)
sub		IN NS	ns.sub.example.com.
		IN NS	ns2.example.com.
ns.sub		IN A	198.51.100.2
		IN AAAA	2001:db8:2::2

; "corp" has no data of its own: an empty non-terminal above these names
host1.corp	IN A	192.0.2.101
host2.corp	IN A	192.0.2.102
printer.office.corp IN A 192.0.2.103

; reverse-style pointer and host information
info		IN TXT	"dpdns demo zone" "second string"
		IN HINFO "x86_64" "Linux"
