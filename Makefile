# Build and install wellknownd. `make install` puts the binary, the systemd units, the configuration (never
# overwriting one already there), the README, the man pages and the shell completions into standard places; PREFIX
# and DESTDIR work as usual:
#   make && sudo make install                       # /usr/local/bin, /usr/local/lib/systemd/system, /etc/wellknownd
#   make install DESTDIR=/tmp/stage PREFIX=/usr     # staged, e.g. for a package
# The release binary links the Swift runtime statically, so it runs on hosts without a Swift toolchain.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
UNITDIR    ?= $(PREFIX)/lib/systemd/system
DOCDIR     ?= $(PREFIX)/share/doc/wellknownd
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
# zsh's completion folder: site-functions for local installs and RPM; Debian's zsh reads vendor-completions.
ZSHDIR     ?= $(DATADIR)/zsh/site-functions
SYSCONFDIR ?= /etc
BINARY     ?= .build/release/wellknownd
# The shipped binary: the Swift runtime linked statically, and no RUNPATH (neither the toolchain's folder nor
# $ORIGIN: it loads no Swift library at run time, and packages must not carry one). scripts/test builds the same.
# Exclusivity is checked at compile time always and at run time in debug builds, which every test but the packaged
# one runs; the release build drops the run-time checks (swift_beginAccess on every class property and global
# access, ours and SwiftNIO's): 14 % of the instructions per UDP datagram, 28 % per ping-pong round trip
# (bench/callgrind; figures in the README's Benchmarks).
RELEASE_FLAGS = -c release --static-swift-stdlib --disable-local-rpath -Xswiftc -no-toolchain-stdlib-rpath \
                -Xswiftc -enforce-exclusivity=unchecked
# The build the manual generator reads the command line from. Debug: the plugin builds the product with its own
# flags into that configuration's folder, so given release it would replace the static release binary with a
# dynamically linked one (and rebuild it all); the command line, and so the page, is the same in both.
MANCONFIG  ?= debug

# Units name the installed paths.
SUBSTITUTE = sed -e 's|/usr/local/bin/wellknownd|$(BINDIR)/wellknownd|g' \
                 -e 's|/etc/wellknownd/|$(SYSCONFDIR)/wellknownd/|g' \
                 -e 's|/usr/local/share/doc/wellknownd|$(DOCDIR)|g'
# $(call INSTALL_SUBSTITUTED,SOURCE,TARGET): SOURCE with the installed paths, as TARGET (mode 0644, folder made).
INSTALL_SUBSTITUTED = install -d $$(dirname $(2)) && $(SUBSTITUTE) $(1) > $(2) && chmod 0644 $(2)

.PHONY: all build man install install-well-known-ports deb rpm check-units test run

all: build

build:
	swift build $(RELEASE_FLAGS) --product wellknownd

# wellknownd(8) from the command-line definition (swift-argument-parser's GenerateManual plugin).
man:
	scripts/make-man --configuration $(MANCONFIG) > /dev/null

install: $(if $(filter .build/release/wellknownd,$(BINARY)),build) man
	install -D -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/wellknownd
	for unit in wellknownd.socket wellknownd.service; do \
		$(call INSTALL_SUBSTITUTED,systemd/$$unit,$(DESTDIR)$(UNITDIR)/$$unit) || exit 1; \
	done
	install -d $(DESTDIR)$(SYSCONFDIR)/wellknownd
	test -e $(DESTDIR)$(SYSCONFDIR)/wellknownd/wellknownd.yaml || \
		install -m 0644 config/wellknownd.yaml $(DESTDIR)$(SYSCONFDIR)/wellknownd/wellknownd.yaml
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -D -m 0644 .build/plugins/GenerateManual/outputs/wellknownd/wellknownd.8 $(DESTDIR)$(MANDIR)/man8/wellknownd.8
	install -D -m 0644 man/wellknownd.yaml.5 $(DESTDIR)$(MANDIR)/man5/wellknownd.yaml.5
	# Shell completions, from the command-line definition (swift-argument-parser), probe's arguments included.
	install -d $(DESTDIR)$(DATADIR)/bash-completion/completions $(DESTDIR)$(ZSHDIR) \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	# bash sources its completions: the generator's #! line is dropped.
	$(BINARY) --generate-completion-script bash | sed '1{/^#!/d}' > $(DESTDIR)$(DATADIR)/bash-completion/completions/wellknownd
	$(BINARY) --generate-completion-script zsh > $(DESTDIR)$(ZSHDIR)/_wellknownd
	$(BINARY) --generate-completion-script fish > $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/wellknownd.fish
	# The well-known-ports drop-ins and configuration as examples (what install-well-known-ports puts in place), so
	# that a package install has them too.
	for file in wellknownd.socket.d/well-known-ports.conf wellknownd.service.d/well-known-ports.conf; do \
		$(call INSTALL_SUBSTITUTED,systemd/well-known-ports/$$file,$(DESTDIR)$(DOCDIR)/well-known-ports/$$file) \
			|| exit 1; \
	done
	install -m 0644 config/well-known-ports.yaml $(DESTDIR)$(DOCDIR)/well-known-ports/well-known-ports.yaml
	# The metrics endpoint's examples: scrape configuration, dashboard, socket unit.
	for file in prometheus/wellknownd.yml grafana/wellknownd.json systemd/wellknownd-metrics.socket; do \
		$(call INSTALL_SUBSTITUTED,contrib/$$file,$(DESTDIR)$(DOCDIR)/contrib/$$file) || exit 1; \
	done

# The drop-ins that move the socket unit to ports 7, 9, 13, 19 and 37, with the matching configuration.
install-well-known-ports:
	for conf in wellknownd.socket.d/well-known-ports.conf wellknownd.service.d/well-known-ports.conf; do \
		$(call INSTALL_SUBSTITUTED,systemd/well-known-ports/$$conf,$(DESTDIR)$(SYSCONFDIR)/systemd/system/$$conf) \
			|| exit 1; \
	done
	test -e $(DESTDIR)$(SYSCONFDIR)/wellknownd/well-known-ports.yaml || \
		install -D -m 0644 config/well-known-ports.yaml $(DESTDIR)$(SYSCONFDIR)/wellknownd/well-known-ports.yaml

# Packages of the release binary (Swift runtime linked statically), in .build/packages/: a .deb built with dpkg-deb
# and an RPM built with rpmbuild from packaging/rpm/wellknownd.spec. scripts/check-packages runs lintian and rpmlint.
# Both stage with `make install` (which builds the binary and the manual first); MANCONFIG passes through.
deb:
	MANCONFIG=$(MANCONFIG) scripts/make-deb --binary .build/release/wellknownd --output .build/packages

rpm:
	MANCONFIG=$(MANCONFIG) scripts/make-rpm --binary .build/release/wellknownd --output .build/packages

check-units:
	scripts/check-units

test:
	scripts/test

run:
	scripts/run
