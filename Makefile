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
SYSCONFDIR ?= /etc
BINARY     ?= .build/release/wellknownd
# The build the manual generator reads the command line from (debug: the test suite's staging).
MANCONFIG  ?= release

# Units name the installed paths.
SUBSTITUTE = sed -e 's|/usr/local/bin/wellknownd|$(BINDIR)/wellknownd|g' \
                 -e 's|/etc/wellknownd/|$(SYSCONFDIR)/wellknownd/|g' \
                 -e 's|/usr/local/share/doc/wellknownd|$(DOCDIR)|g'

.PHONY: all build man install install-well-known-ports check-units test run

all: build

build:
	swift build -c release --static-swift-stdlib --product wellknownd

# wellknownd(8) from the command-line definition (swift-argument-parser's GenerateManual plugin).
man:
	scripts/make-man --configuration $(MANCONFIG) > /dev/null

install: $(if $(filter .build/release/wellknownd,$(BINARY)),build) man
	install -D -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/wellknownd
	install -d $(DESTDIR)$(UNITDIR)
	for unit in wellknownd.socket wellknownd.service; do \
		$(SUBSTITUTE) systemd/$$unit > $(DESTDIR)$(UNITDIR)/$$unit && chmod 0644 $(DESTDIR)$(UNITDIR)/$$unit; \
	done
	install -d $(DESTDIR)$(SYSCONFDIR)/wellknownd
	test -e $(DESTDIR)$(SYSCONFDIR)/wellknownd/wellknownd.yaml || \
		install -m 0644 config/wellknownd.yaml $(DESTDIR)$(SYSCONFDIR)/wellknownd/wellknownd.yaml
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -D -m 0644 .build/plugins/GenerateManual/outputs/wellknownd/wellknownd.8 $(DESTDIR)$(MANDIR)/man8/wellknownd.8
	install -D -m 0644 man/wellknownd.yaml.5 $(DESTDIR)$(MANDIR)/man5/wellknownd.yaml.5
	# Shell completions, from the command-line definition (swift-argument-parser), probe's arguments included.
	install -d $(DESTDIR)$(DATADIR)/bash-completion/completions $(DESTDIR)$(DATADIR)/zsh/site-functions \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	$(BINARY) --generate-completion-script bash > $(DESTDIR)$(DATADIR)/bash-completion/completions/wellknownd
	$(BINARY) --generate-completion-script zsh > $(DESTDIR)$(DATADIR)/zsh/site-functions/_wellknownd
	$(BINARY) --generate-completion-script fish > $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/wellknownd.fish
	# The metrics endpoint's examples: scrape configuration, dashboard, socket unit.
	for file in prometheus/wellknownd.yml grafana/wellknownd.json systemd/wellknownd-metrics.socket; do \
		install -D -m 0644 contrib/$$file $(DESTDIR)$(DOCDIR)/contrib/$$file; \
	done

# The drop-ins that move the socket unit to ports 7, 9, 13, 19 and 37, with the matching configuration.
install-well-known-ports:
	for unit in wellknownd.socket wellknownd.service; do \
		install -d $(DESTDIR)$(SYSCONFDIR)/systemd/system/$$unit.d && \
		$(SUBSTITUTE) systemd/well-known-ports/$$unit.d/well-known-ports.conf \
			> $(DESTDIR)$(SYSCONFDIR)/systemd/system/$$unit.d/well-known-ports.conf; \
	done
	test -e $(DESTDIR)$(SYSCONFDIR)/wellknownd/well-known-ports.yaml || \
		install -D -m 0644 config/well-known-ports.yaml $(DESTDIR)$(SYSCONFDIR)/wellknownd/well-known-ports.yaml

check-units:
	scripts/check-units

test:
	scripts/test

run:
	scripts/run
