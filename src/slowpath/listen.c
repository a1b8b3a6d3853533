/* SPDX-License-Identifier: BSD-3-Clause */
#include "slowpath/listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

int sp_listen_tcp(const struct sockaddr_storage *a, int backlog, int *port)
{
	int fd = socket(a->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	socklen_t alen =
		a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (a->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)a, alen) < 0 || listen(fd, backlog) < 0)
		goto fail;
	struct sockaddr_storage bound;
	socklen_t len = sizeof(bound);
	if (getsockname(fd, (struct sockaddr *)&bound, &len) < 0)
		goto fail;
	*port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port) :
					      ntohs(((struct sockaddr_in *)&bound)->sin_port);
	return fd;

fail:;
	int rc = -errno;
	close(fd);
	return rc;
}
