/* Floods a TLS port with cheap ClientHellos: one real ClientHello is made
 * once with OpenSSL, then replayed on many connections. Each connection
 * sends it, waits for the first bytes of the server's answer (the server has
 * done its key exchange and signature by then) and resets. The client does
 * no crypto at all, so one core drives thousands of server handshakes a
 * second.
 *
 *   cc -O2 -o hello_flood hello_flood.c -lssl -lcrypto
 *   hello_flood PORT SECONDS [CONCURRENCY]
 *
 * Prints "hellos=N rate=R/s" at the end. Used by run.sh --phases flood.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static unsigned char hello[4096];
static int hello_len;

static void make_hello(void) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_tlsext_host_name(ssl, "localhost");
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);
  hello_len = BIO_read(out, hello, sizeof hello);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_one(const struct sockaddr_in* addr) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct linger reset = {1, 0}; /* close with RST: no TIME_WAIT, no port exhaustion */
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (const struct sockaddr*)addr, sizeof *addr) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: hello_flood PORT SECONDS [CONCURRENCY]\n");
    return 2;
  }
  const int port = atoi(argv[1]);
  const double seconds = atof(argv[2]);
  const int conc = argc > 3 ? atoi(argv[3]) : 64;
  make_hello();
  if (hello_len <= 0) {
    fprintf(stderr, "hello_flood: could not make a ClientHello\n");
    return 1;
  }
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  struct pollfd* fds = calloc((size_t)conc, sizeof *fds);
  char* sent = calloc((size_t)conc, 1);
  for (int i = 0; i < conc; ++i) {
    fds[i].fd = open_one(&addr);
    fds[i].events = POLLOUT;
  }
  long done = 0;
  const double start = now();
  char buf[256];
  while (now() - start < seconds) {
    if (poll(fds, (nfds_t)conc, 100) < 0) break;
    for (int i = 0; i < conc; ++i) {
      if (fds[i].revents == 0) continue;
      int finished = 0;
      if (!sent[i] && (fds[i].revents & POLLOUT)) {
        if (write(fds[i].fd, hello, (size_t)hello_len) == hello_len) {
          sent[i] = 1;
          fds[i].events = POLLIN;
        } else {
          finished = 1;
        }
      } else if (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) {
        finished = 1;
        if (read(fds[i].fd, buf, sizeof buf) > 0) ++done;
      }
      if (finished) {
        close(fds[i].fd);
        fds[i].fd = open_one(&addr);
        fds[i].events = POLLOUT;
        sent[i] = 0;
      }
    }
  }
  const double took = now() - start;
  printf("hellos=%ld rate=%.0f/s\n", done, done / took);
  return 0;
}
