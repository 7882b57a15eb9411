// The rendezvous of the distributed tests (distributed_test.cc, task_group_test.cc): a free port on
// 127.0.0.1 and the options of one rank.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "distributed/process_group.h"

namespace camu::distributed::test {

// A port nothing listens on now (the kernel's choice for port 0).
inline int64_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

inline Options RankOptions(int64_t port, int64_t rank, int64_t worldSize, double timeout = 20) {
  Options options;
  options.masterPort = port;
  options.rank = rank;
  options.worldSize = worldSize;
  options.timeoutSeconds = timeout;
  return options;
}

}  // namespace camu::distributed::test
