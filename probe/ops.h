/* SPDX-License-Identifier: MIT */
/*
 * Every op of the probe, one line each: OP(symbol), the `const struct op` its op_*.c file defines.
 * probe.h declares them and run.c lists them from this file, so adding an op is one op_<name>.c
 * and one line here. No include guard: it is meant to be included with OP defined.
 */
OP(op_alloc)
OP(op_fault)
OP(op_punch)
OP(op_to_private)
OP(op_to_shared)
OP(op_vmm_to_private)
OP(op_vmm_to_shared)
OP(op_touch_private)
OP(op_touch_shared)
OP(op_guest_fault)
OP(op_guest_refault)
OP(op_migrate)
OP(op_compact)
OP(op_stress)
OP(op_guest_convert)
OP(op_gmem_numa)
