//! Tradeoff patch: the element types a build with the `lean-dtypes` feature keeps.
//!
//! Flex picks a kernel by a tensor's [`DType`] at run time, so every operation is compiled for
//! every element type, whether a program ever makes such a tensor or not: in a WebAssembly
//! module that is most of the backend's size. [`FlexTensor::dtype`](crate::FlexTensor::dtype),
//! which every dispatch reads, returns its value through [`kept`]: each kept type comes out as
//! a constant and any other one diverges, so after inlining the compiler can see that the
//! other arms of each `match` are unreachable and drops their kernels.

use burn_backend::DType;

/// `dtype` itself if this build keeps it; otherwise a panic naming it.
#[inline(always)]
pub(crate) fn kept(dtype: DType) -> DType {
    match dtype {
        DType::F32 => DType::F32,
        DType::I64 => DType::I64,
        DType::I32 => DType::I32,
        DType::I8 => DType::I8,
        DType::U8 => DType::U8,
        DType::Bool(store) => DType::Bool(store),
        DType::QFloat(scheme) => DType::QFloat(scheme),
        other => left_out(other),
    }
}

#[cold]
#[inline(never)]
fn left_out(dtype: DType) -> ! {
    panic!(
        "burn-flex was built with the `lean-dtypes` feature, which leaves out {dtype:?} tensors \
         (it keeps f32, i64, i32, i8, u8, bool and quantized ones)"
    )
}
