# meta-vvehicle: the kernel of a virtual vehicle must show QEMU's fw_cfg in sysfs, where the vehicle's
# identity arrives as systemd credentials. The kernel changes only when the build requires
# conf/include/vvehicle.inc (which sets VVEHICLE_KERNEL_FW_CFG = "1"). The condition sits on the require,
# not in SRC_URI: an inline expression in SRC_URI would add VVEHICLE_KERNEL_FW_CFG to linux-yocto's task
# signatures, so merely adding the layer would change the kernel's hashes (yocto-check-layer's
# test_signatures). This is the pattern meta-virtualization uses for its kernel fragments.
require ${@'linux-yocto-vvehicle.inc' if bb.utils.to_boolean(d.getVar('VVEHICLE_KERNEL_FW_CFG') or '0') else ''}
