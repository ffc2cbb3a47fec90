SUMMARY = "Per-vehicle identity of a virtual vehicle, from systemd credentials at boot"
DESCRIPTION = "A oneshot unit, ordered before the payload services, that turns the systemd system \
credentials vvehicle.* (QEMU/libvirt fw_cfg or the kernel command line) into the host name, the UERANSIM \
UE configuration under /run (0600), the vehicle id as an OpenTelemetry resource attribute and as a \
Prometheus info metric. The image itself holds no subscriber: every vehicle boots the same image."
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

SRC_URI = " \
    file://vvehicle-identity \
    file://vvehicle-identity.service \
"
# Releases before styhead unpack into WORKDIR and have no UNPACKDIR; from styhead on, bitbake.conf sets it
# (and S may no longer be WORKDIR): this form holds on both.
UNPACKDIR ??= "${WORKDIR}"
S = "${UNPACKDIR}"

inherit allarch systemd features_check
REQUIRED_DISTRO_FEATURES = "systemd"

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    install -D -m 0755 ${UNPACKDIR}/vvehicle-identity ${D}${sbindir}/vvehicle-identity
    install -D -m 0644 ${UNPACKDIR}/vvehicle-identity.service ${D}${systemd_system_unitdir}/vvehicle-identity.service
    sed -i -e 's#@sbindir@#${sbindir}#g' ${D}${systemd_system_unitdir}/vvehicle-identity.service
}

SYSTEMD_SERVICE:${PN} = "vvehicle-identity.service"

FILES:${PN} = " \
    ${sbindir}/vvehicle-identity \
    ${systemd_system_unitdir}/vvehicle-identity.service \
"
