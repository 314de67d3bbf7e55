/* Open file descriptors of this process, for leak checks. */
#ifndef SEKHA_TEST_FDCOUNT_H
#define SEKHA_TEST_FDCOUNT_H
int fd_count(void);
#endif
