// libsystemd's daemon API: socket activation (sd_listen_fds_with_names, sd_is_socket*) and sd_notify.
// Debian/Ubuntu: apt-get install libsystemd-dev
#pragma once
#include <systemd/sd-daemon.h>
